/** The event-delivery resources pass every guard rail of the customer stack (stacks/guard-rails). */
import { join } from "node:path";
import { Testing } from "cdktf";
import { loadCustomerFile } from "../../model/load";
import { CustomerStack } from "../../stacks/customer-stack";
import { collectFindings } from "../../stacks/guard-rails/annotations";

it("a customer with webhooks, e-mails and an archive including Transfer events has no guard-rail error", async () => {
  const loaded = await loadCustomerFile(join(__dirname, "fixtures", "events-demo.json"));
  const customer = { ...loaded.customer, archive: { ...loaded.customer.archive, includeTransferEvents: true } };
  const app = Testing.app();
  const stack = new CustomerStack(app, { loaded: { ...loaded, customer } });
  const tf = JSON.parse(Testing.synth(stack));
  // The stack really holds the event-delivery resources the rails inspect.
  expect(Object.keys(tf.resource.aws_cloudwatch_event_connection)).toHaveLength(2);
  expect(Object.keys(tf.resource.aws_kinesis_firehose_delivery_stream)).toHaveLength(1);
  expect(collectFindings(stack).errors).toEqual([]);
});
