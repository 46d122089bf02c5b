/**
 * Webhooks: per `customer.webhooks[]` entry, EventBridge delivers the matching domain events to the
 * URL itself (API destination), with the customer's retry policy and a dead-letter queue that
 * alarms. The body of each call is the DomainEvent JSON (the rule's `detail`), exactly the schema in
 * templates/domain-event.schema.json. No HTTP code of ours runs.
 *
 * Credentials: the connection needs the secret value; it is read at apply time from Secrets Manager
 * through a data source, so the synthesized JSON holds only the secret's ARN (the value does end up
 * in the Terraform state, as for any data source: keep the state encrypted, README "Events").
 */
import { Construct } from "constructs";
import { Fn, Token } from "cdktf";
import {
  CloudwatchEventConnection,
  type CloudwatchEventConnectionAuthParameters,
} from "@cdktf/provider-aws/lib/cloudwatch-event-connection";
import { CloudwatchEventApiDestination } from "@cdktf/provider-aws/lib/cloudwatch-event-api-destination";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import type { Customer, Webhook } from "../../model/customer";
import { EVENT_SOURCE } from "../../model/events";
import { DeadLetterQueue } from "../platform/dlq-alarm";
import { physicalName } from "./event-names";
import { policyDocument } from "../pipelines/gateway-function";
import { serviceTrustPolicy } from "../platform/service-trust";

/** The event pattern of a webhook: our events of the chosen types, on the chosen stations. */
export function webhookEventPattern(webhook: Pick<Webhook, "events" | "stations">): Record<string, unknown> {
  return {
    source: [EVENT_SOURCE],
    "detail-type": [...webhook.events],
    ...(webhook.stations && webhook.stations.length > 0 ? { detail: { stationId: [...webhook.stations] } } : {}),
  };
}

/** Trust policy for a role EventBridge assumes on behalf of rules of this account. */
export function eventsTrustPolicy(accountId: string, ruleArns: readonly string[]): string {
  return serviceTrustPolicy("events.amazonaws.com", accountId, ruleArns, "ArnEquals");
}

export interface WebhookDeliveryProps {
  readonly customer: Customer;
  readonly webhook: Webhook;
  readonly eventBusName: string;
  readonly kmsKeyArn: string;
  readonly alarmTopicArn: string;
  readonly accountId: string;
}

/** One webhook: connection, API destination, rule, target, role and dead-letter queue. */
// Like the other event-delivery constructs, the public fields list what it creates: a shape, not shared logic.
export class WebhookDelivery extends Construct {
  readonly connection: CloudwatchEventConnection;
  readonly apiDestination: CloudwatchEventApiDestination;
  readonly rule: CloudwatchEventRule;
  readonly target: CloudwatchEventTarget;
  readonly deadLetter: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const { customer, webhook } = props;
    if (webhook.auth.type === "oauth" && !webhook.auth.tokenUrl.startsWith("https://")) {
      // EventBridge refuses it at deploy time; say so at synth, with the field.
      throw new Error(
        `webhooks '${webhook.name}': auth.tokenUrl must be an https:// URL, found ${webhook.auth.tokenUrl}`,
      );
    }
    const base = ["as2", customer.name, "webhook", webhook.name];
    const secret = new DataAwsSecretsmanagerSecretVersion(this, "secret", { secretId: webhook.auth.secretArn });

    this.connection = new CloudwatchEventConnection(this, "connection", {
      name: physicalName(base),
      description: `as2-transfer-gateway ${customer.name}: credentials of webhook ${webhook.name}`,
      authorizationType: { apiKey: "API_KEY", basic: "BASIC", oauth: "OAUTH_CLIENT_CREDENTIALS" }[webhook.auth.type],
      authParameters: connectionAuth(webhook.auth, secret.secretString),
    });
    this.apiDestination = new CloudwatchEventApiDestination(this, "destination", {
      name: physicalName(base),
      description: `as2-transfer-gateway ${customer.name}: webhook ${webhook.name}`,
      connectionArn: this.connection.arn,
      invocationEndpoint: webhook.url,
      httpMethod: "POST",
    });
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: physicalName(base),
      description: `Domain events ${webhook.events.join(", ")}${webhook.stations?.length ? ` of ${webhook.stations.join(", ")}` : ""} to webhook ${webhook.name}`,
      eventBusName: props.eventBusName,
      eventPattern: JSON.stringify(webhookEventPattern(webhook)),
    });
    const role = new IamRole(this, "role", {
      name: physicalName([...base, "invoke"]),
      assumeRolePolicy: eventsTrustPolicy(props.accountId, [this.rule.arn]),
    });
    new IamRolePolicy(this, "invoke", {
      role: role.id,
      policy: policyDocument([
        { sid: "InvokeWebhook", actions: ["events:InvokeApiDestination"], resources: [this.apiDestination.arn] },
      ]),
    });
    this.deadLetter = new DeadLetterQueue(this, "dlq", {
      queueName: physicalName([...base, "dlq"], 80),
      kmsKeyArn: props.kmsKeyArn,
      alarmTopicArn: props.alarmTopicArn,
      description: `Events for webhook ${webhook.name} (${webhook.url}) that EventBridge could not deliver after ${webhook.maxRetries} retries or ${webhook.maxEventAgeSeconds} s. Each message is the event with the error in its attributes; fix the endpoint, then redrive or replay from the archive.`,
      senders: [{ service: "events.amazonaws.com", sourceArns: [this.rule.arn] }],
    });
    this.target = new CloudwatchEventTarget(this, "target", {
      rule: this.rule.name,
      eventBusName: props.eventBusName,
      targetId: "webhook",
      arn: this.apiDestination.arn,
      roleArn: role.arn,
      // The body is the domain event itself, not the EventBridge envelope.
      inputPath: "$.detail",
      retryPolicy: { maximumRetryAttempts: webhook.maxRetries, maximumEventAgeInSeconds: webhook.maxEventAgeSeconds },
      deadLetterConfig: { arn: this.deadLetter.queue.arn },
    });
  }
}

/**
 * Connection credentials from the secret. Secret formats: apiKey and oauth, the SecretString is
 * the key or client secret; basic, a JSON object `{"username": "...", "password": "..."}`.
 */
function connectionAuth(auth: Webhook["auth"], secretString: string): CloudwatchEventConnectionAuthParameters {
  switch (auth.type) {
    case "apiKey":
      return { apiKey: { key: auth.header, value: secretString } };
    case "basic": {
      const json: unknown = Fn.jsondecode(secretString);
      return {
        basic: {
          username: Token.asString(Fn.lookup(json, "username")),
          password: Token.asString(Fn.lookup(json, "password")),
        },
      };
    }
    case "oauth":
      return {
        oauth: {
          authorizationEndpoint: auth.tokenUrl,
          httpMethod: "POST",
          clientParameters: { clientId: auth.clientId, clientSecret: secretString },
          oauthHttpParameters: {
            body: [
              { key: "grant_type", value: "client_credentials", isValueSecret: false },
              ...(auth.scope ? [{ key: "scope", value: auth.scope, isValueSecret: false }] : []),
            ],
          },
        },
      };
  }
}

export interface WebhooksProps {
  readonly customer: Customer;
  readonly eventBusName: string;
  readonly kmsKeyArn: string;
  readonly alarmTopicArn: string;
  readonly accountId: string;
}

/** Every webhook of the customer. */
export class Webhooks extends Construct {
  readonly deliveries: readonly WebhookDelivery[];

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    this.deliveries = props.customer.webhooks.map(
      (webhook) => new WebhookDelivery(this, webhook.name, { ...props, webhook }),
    );
  }
}
