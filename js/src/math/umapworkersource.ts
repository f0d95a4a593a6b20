// The source of the UMAP worker (umapworker.ts bundled on its own), put here by the build
// (js/scripts/build.mjs) so the dashboard, one ES module, can start it from a Blob. null when
// the module is used unbuilt (vitest, tsc): UMAP then runs on the main thread, in slices.
export const umapWorkerSource: string | null = null;
