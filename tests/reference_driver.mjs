// Runs the relay's own audit-log module on a directory and prints aggregate() as JSON.
// usage: node reference_driver.mjs MODULE DATA_DIR SINCE_MS|all UNTIL_MS|all
import { pathToFileURL } from "url";

const [modulePath, dataDir, since, until] = process.argv.slice(2);
const ref = await import(pathToFileURL(modulePath).href);
const log = console.log;
console.log = () => {}; // initAuditLog announces itself on stdout
await ref.initAuditLog({ dataDir });
console.log = log;
const window = {};
window.sinceMs = since === "all" ? Number.NEGATIVE_INFINITY : Number(since);
if (until !== "all") window.untilMs = Number(until);
const entries = await ref.readEntries(window);
process.stdout.write(JSON.stringify(ref.aggregate(entries)));
