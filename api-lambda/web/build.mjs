// Builds the console into dist/: one hashed script and stylesheet under
// dist/assets/, and index.html naming them. No inline script (the API serves a
// CSP without 'unsafe-inline'), no source maps, nothing fetched at run time.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

const dist = "dist";
await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, "assets"), { recursive: true });

// The viewer's codecs: WebAssembly the image loader fetches from wasmBasePath,
// under a directory named by their content so a new version is never cached as an old one.
const codecs = [
  ["@cornerstonejs/codec-openjph/wasm", "openjphjs.wasm"],
  ["@cornerstonejs/codec-openjpeg/decodewasm", "openjpegwasm_decode.wasm"],
  ["@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm", "libjpegturbowasm_decode.wasm"],
  ["@cornerstonejs/codec-charls/decodewasm", "charlswasm_decode.wasm"],
  ["@cornerstonejs/codec-libjxl/decodewasm", "jpegxlwasm_decode.wasm"],
];
const wasmHash = createHash("sha256");
const wasm = [];
for (const [specifier, name] of codecs) {
  const file = require.resolve(specifier, { paths: [path.resolve("node_modules/@cornerstonejs/dicom-image-loader")] });
  wasmHash.update(await readFile(file));
  wasm.push([file, name]);
}
const wasmDir = `wasm-${wasmHash.digest("hex").slice(0, 12)}`;
await mkdir(path.join(dist, "assets", wasmDir), { recursive: true });
for (const [file, name] of wasm) await copyFile(file, path.join(dist, "assets", wasmDir, name));

// Emscripten's codecs name Node's modules on a path only Node takes: in the
// browser they are empty.
const noNodeModules = {
  name: "noctis-no-node-modules",
  setup(b) {
    b.onResolve({ filter: /^(node:)?(fs|path|crypto|module|url|worker_threads|ws|events)$/ }, (args) => ({
      path: args.path,
      namespace: "node-stub",
    }));
    // xmlbuilder2 (a dependency of the tools' exporters) extends EventEmitter as it loads.
    const stub = "export class EventEmitter { on() { return this; } emit() { return false; } }\nexport default { EventEmitter };";
    b.onLoad({ filter: /.*/, namespace: "node-stub" }, () => ({ contents: stub, loader: "js" }));
  },
};

const common = {
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  outdir: path.join(dist, "assets"),
  metafile: true,
  legalComments: "eof",
  logLevel: "warning",
  define: { NOCTIS_WASM_BASE: JSON.stringify(`/assets/${wasmDir}/`) },
  plugins: [noNodeModules],
};

// The image loader's decoding worker, built on its own; the loader names it
// by a fixed relative URL, which is pointed at the hashed file below.
const worker = await build({
  ...common,
  entryPoints: { "decode-worker": "node_modules/@cornerstonejs/dicom-image-loader/dist/esm/decodeImageFrameWorker.js" },
  entryNames: "[name]-[hash]",
});
const workerFile = Object.keys(worker.metafile.outputs).find((file) => file.endsWith(".js"));
const workerName = path.basename(workerFile);
const pointWorker = {
  name: "noctis-decode-worker",
  setup(b) {
    b.onLoad({ filter: /dicom-image-loader[\\/]dist[\\/]esm[\\/]init\.js$/ }, async (args) => ({
      contents: (await readFile(args.path, "utf8")).replace("./decodeImageFrameWorker.js", `./${workerName}`),
      loader: "js",
    }));
  },
};

const result = await build({
  ...common,
  entryPoints: { console: "src/main.tsx" },
  jsx: "automatic",
  jsxImportSource: "preact",
  // The viewer is a chunk of its own, loaded when a study is opened in it.
  splitting: true,
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  plugins: [noNodeModules, pointWorker],
});

const outputs = Object.keys(result.metafile.outputs)
  .filter((file) => !path.basename(file).startsWith("chunk-"))
  .map((file) => "/" + path.relative(dist, file).split(path.sep).join("/"));
const script = outputs.find((file) => file.endsWith(".js"));
const stylesheet = outputs.find((file) => file.endsWith(".css"));
if (!script || !stylesheet) throw new Error("the build made no script or no stylesheet");

const template = await readFile("index.html", "utf8");
const html = template.replace("%STYLESHEET%", stylesheet).replace("%SCRIPT%", script);
await writeFile(path.join(dist, "index.html"), html);
console.log(`console built: ${script}, ${stylesheet}`);
