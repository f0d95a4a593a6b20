// One helper for "redraw only when what is shown changed": a view builds a signature string of
// everything its drawing depends on and asks whether it differs from the last one drawn.

export class Memo {
  private last: string | null = null;

  /** True (and remembered) when `sig` differs from the last signature; false when unchanged. */
  changed(sig: string): boolean {
    if (sig === this.last) return false;
    this.last = sig;
    return true;
  }

  /** Whether `sig` equals the last signature remembered (nothing remembered). */
  same(sig: string): boolean {
    return sig === this.last;
  }

  /** Forget the last signature: the next `changed` is true (after a theme or option change). */
  invalidate(): void {
    this.last = null;
  }
}
