/**
 * The bundle-size budget CI can run (`pnpm --filter @grantflow/bench size`): fails when a
 * grantflow browser bundle, gzipped, outgrows its budget in `size-budget.json` (set at the size
 * measured when the budget was written, plus 5%). Needs core built (`pnpm build`).
 *
 * @module
 */
import { readFile } from "node:fs/promises"
import { requireBuiltCore } from "./builtCore.js"
import { measureBundles } from "./bundles.js"

const budgets = JSON.parse(await readFile(new URL("../size-budget.json", import.meta.url), "utf8")) as Record<
  string,
  unknown
>

await requireBuiltCore()
let over = 0
for (const row of await measureBundles()) {
  const budget = budgets[row.name]
  if (typeof budget !== "number") continue
  const verdict = row.gzipBytes <= budget ? "ok" : "OVER BUDGET"
  if (row.gzipBytes > budget) over++
  console.log(`${verdict.padEnd(11)} ${row.name}: ${row.gzipBytes} B gzip (budget ${budget} B)`)
}
if (over > 0) {
  console.error(
    `${over} bundle(s) over budget: shrink them, or raise size-budget.json with a reason in the commit.`,
  )
  process.exitCode = 1
}
