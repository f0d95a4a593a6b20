"""Dashboard-side following of a logdir: batch encoding, cursors, the push thread."""
