/**
 * Customer __NAME__: its AS2 stations and trading partners, reviewed like any code.
 * Synthesize with `npm run synth`; deploy with `npx cdktf deploy customer-__NAME__`.
 * Every field is checked before anything is built; see README.md ("Declare a customer").
 */
import { defineCustomer } from "__MODEL__";

export default defineCustomer({
  name: "__NAME__",
  // The AWS region the gateway is deployed to.
  region: "eu-west-1",
  // "mftgateway" (AS2/send/, AS2/files/...) or "as2gateway" (as2gateway/<station>/<partner>/...).
  layout: "mftgateway",
  // AS2 servers are VPC endpoints listening on HTTP 5080. Elastic IPs make them internet-facing.
  network: {
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0123456789abcdef0"],
    elasticIps: true,
    // Port 5080 opens only to the partners' sourceCidrs and these; allowFromAnywhere opens it to all.
    allowedCidrs: [],
  },
  stations: [
    {
      // Our AS2 ID, as partners know it.
      as2Id: "__STATION__",
      // The stack generates the key pair (hashicorp/tls) and outputs the public certificate for
      // partners. To use your own: { certificate: { file: "certs/ours.pem" },
      //   privateKey: { secretsManagerArn: "arn:aws:secretsmanager:..." } }. Never paste a private key here.
      signing: { generate: true },
    },
  ],
  partners: [
    {
      as2Id: "PARTNER-AS2",
      station: "__STATION__",
      url: "https://as2.partner.example/receive",
      // A test partner's folders get a test/ level: AS2/send/<station>/<partner>/test/.
      test: true,
      certificates: { signing: { file: "certs/partner.pem" } },
      // Where the partner sends from: opened on port 5080.
      sourceCidrs: [],
      outbound: { signing: "SHA256", encryption: "AES256_CBC", compression: "ZLIB", mdn: "SYNC" },
    },
  ],
  // Seconds an upload must stay unchanged before it is sent (single files / batch subdirectories).
  settle: { fileSeconds: 15, directorySeconds: 120 },
  notifications: { emails: [] },
});
