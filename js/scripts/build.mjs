// Build the dashboard bundle (../tbx_widget/static/index.js and index.css, one ES module, as
// anywidget loads it). The UMAP worker (src/math/umapworker.ts) is bundled first, on its own,
// and its source becomes the string src/math/umapworkersource.ts exports, so the page can start
// it from a Blob. Flags: --watch, --sourcemap=inline (npm run dev).
import * as esbuild from "esbuild";

const args = process.argv.slice(2);
const watch = args.includes("--watch");
const sourcemap = args.includes("--sourcemap=inline") ? "inline" : false;
const common = { bundle: true, minify: true, target: "es2020" };

const workerSource = {
  name: "umap-worker-source",
  setup(build) {
    build.onLoad({ filter: /[\\/]math[\\/]umapworkersource\.ts$/ }, async () => {
      const worker = await esbuild.build({ ...common, entryPoints: ["src/math/umapworker.ts"], format: "iife", write: false, logLevel: "warning" });
      return { contents: `export const umapWorkerSource = ${JSON.stringify(worker.outputFiles[0].text)};`, loader: "js", watchFiles: ["src/math/umapworker.ts", "src/math/umap.ts", "src/math/knn.ts"] };
    });
  },
};

const options = {
  ...common,
  entryPoints: ["src/index.ts"],
  format: "esm",
  outdir: "../tbx_widget/static",
  entryNames: "index",
  sourcemap,
  logLevel: "info",
  plugins: [workerSource],
};

if (watch) await (await esbuild.context(options)).watch();
else await esbuild.build(options);
