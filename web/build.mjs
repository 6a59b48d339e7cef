// Builds the browser app into dist/ (embedded by web.go): one hashed, minified ES module bundle and its CSS,
// and index.html pointing at them. `node build.mjs --tests` compiles the unit tests (src/**/*.test.ts) into
// dist-test/ for `node --test`.
import * as esbuild from "esbuild";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const here = new URL(".", import.meta.url).pathname;
const common = {
  bundle: true,
  format: "esm",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  nodePaths: [join(here, "node_modules")], // the generated code in ../api imports @bufbuild/protobuf
  logLevel: "warning",
  legalComments: "none",
};

if (process.argv.includes("--tests")) {
  const tests = readdirSync(join(here, "src"), { recursive: true })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => join(here, "src", f));
  rmSync(join(here, "dist-test"), { recursive: true, force: true });
  await esbuild.build({ ...common, entryPoints: tests, outdir: join(here, "dist-test"), platform: "node",
    outExtension: { ".js": ".mjs" } });
} else {
  const out = join(here, "dist");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "assets"), { recursive: true });
  writeFileSync(join(out, ".gitkeep"), "");
  const result = await esbuild.build({
    ...common,
    entryPoints: [join(here, "src", "main.tsx")],
    outdir: join(out, "assets"),
    entryNames: "[name]-[hash]",
    minify: true,
    sourcemap: false,
    metafile: true,
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => p.split("/").pop());
  const js = outputs.find((f) => f.endsWith(".js"));
  const css = outputs.find((f) => f.endsWith(".css"));
  const html = readFileSync(join(here, "index.html"), "utf8")
    .replace("%APP_JS%", `/assets/${js}`)
    .replace("%APP_CSS%", css ? `<link rel="stylesheet" href="/assets/${css}">` : "");
  writeFileSync(join(out, "index.html"), html);
  // Each asset is also written gzipped (web.go serves it to browsers that accept gzip), so what the test and the
  // bundle line below measure is what goes over the wire.
  let total = gzipSync(html).length;
  for (const f of outputs) {
    const gz = gzipSync(readFileSync(join(out, "assets", f)), { level: 9 });
    writeFileSync(join(out, "assets", f + ".gz"), gz);
    total += gz.length;
  }
  console.log(`web: built dist/ (${outputs.join(", ")}; first load ${(total / 1024).toFixed(1)} KB gzipped)`);
}
