/**
 * The CDKTF app: one stack per customer file in customers/ (or AS2_CUSTOMERS_DIR).
 * `npm run synth` runs this directly; `cdktf synth|deploy` runs it through cdktf.json.
 */
import { App } from "cdktf";
import { join, relative } from "node:path";
import { loadCustomers, CustomerFileError, formatProblem } from "./model/load";
import { customerSummary } from "./model/summary";
import { stackName } from "./model/customer";
import { CustomerStack } from "./stacks/customer-stack";
import { synthesizeWithGuardRails } from "./stacks/guard-rails/synthesize";
import { alarmCost, formatAlarmCost } from "./stacks/platform/alarm-cost";

async function main(): Promise<void> {
  let customers;
  try {
    customers = await loadCustomers();
  } catch (e) {
    if (e instanceof CustomerFileError) {
      console.error(`synth stopped: ${e.problems.length} problem(s) in customer files`);
      for (const p of e.problems) console.error(`  ${formatProblem(p)}`);
      process.exit(1);
    }
    throw e;
  }
  const app = new App();
  const stacks = customers.map((loaded) => new CustomerStack(app, { loaded }));
  // Guard rails (stacks/guard-rails): errors stop here with the construct paths, quotas warn.
  if (!synthesizeWithGuardRails(app).ok) process.exit(1);
  customers.forEach(({ customer, file }, i) => {
    const out = join(app.outdir, "stacks", stackName(customer.name), "cdk.tf.json");
    console.log(customerSummary(customer, relative(process.cwd(), file), relative(process.cwd(), out)));
    console.log(formatAlarmCost(alarmCost(stacks[i]!)));
  });
  console.log(
    `\nsynthesized ${customers.length} customer stack(s). Deploy one with: npx cdktf deploy ${stackName(customers[0]!.customer.name)}`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
