require("@cdktf/provider-aws");
require("../../main");
