import { Construct } from "constructs";
import { TerraformStack, LocalBackend } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { LoadedCustomer } from "../model/load";
import { stackName } from "../model/customer";

export interface CustomerStackProps {
  /** The validated customer declaration and the file it came from. */
  readonly loaded: LoadedCustomer;
}

/** One customer's whole gateway. Composes the constructs under stacks/; holds no resources itself. */
export class CustomerStack extends TerraformStack {
  constructor(scope: Construct, props: CustomerStackProps) {
    const { customer } = props.loaded;
    super(scope, stackName(customer.name));
    new AwsProvider(this, "aws", {
      region: customer.region,
      defaultTags: [{ tags: { "as2-gateway:customer": customer.name, ...customer.tags } }],
    });
    new LocalBackend(this, { path: `terraform.${stackName(customer.name)}.tfstate` });
  }
}
