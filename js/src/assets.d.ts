// Side-effect CSS imports are bundled by esbuild into tbx_widget/static/index.css.
declare module "*.css";
