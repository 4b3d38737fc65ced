// Builds the console into dist/: one hashed script and stylesheet under
// dist/assets/, and index.html naming them. No inline script (the API serves a
// CSP without 'unsafe-inline'), no source maps, nothing fetched at run time.
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

const dist = "dist";
await rm(dist, { recursive: true, force: true });
await mkdir(path.join(dist, "assets"), { recursive: true });

const result = await build({
  entryPoints: { console: "src/main.tsx" },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  entryNames: "[name]-[hash]",
  outdir: path.join(dist, "assets"),
  metafile: true,
  legalComments: "eof",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((file) => "/" + path.relative(dist, file).split(path.sep).join("/"));
const script = outputs.find((file) => file.endsWith(".js"));
const stylesheet = outputs.find((file) => file.endsWith(".css"));
if (!script || !stylesheet) throw new Error("the build made no script or no stylesheet");

const template = await readFile("index.html", "utf8");
const html = template.replace("%STYLESHEET%", stylesheet).replace("%SCRIPT%", script);
await writeFile(path.join(dist, "index.html"), html);
console.log(`console built: ${script}, ${stylesheet}`);
