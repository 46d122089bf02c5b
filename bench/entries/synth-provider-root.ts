// eslint-disable-next-line @typescript-eslint/no-require-imports
require("@cdktf/provider-aws");
require("../../main");
