/** The Lambda's routing agrees with the operation table the stack and the OpenAPI document use. */
import { matchRoute } from "../../handlers/api/handler";
import { OPERATIONS, apiRoutes } from "../../model/api/operations";

const MESSAGE = "o-3f9a0c1b2d4e5f60718293a4";
const fill = (path: string) => path.replace("{id}", MESSAGE).replace("{uploadId}", "u-1");

it("every operation's path and method route to it, with its id", () => {
  for (const o of OPERATIONS) {
    const id = o.path.includes("{uploadId}") ? "u-1" : o.path.includes("{id}") ? MESSAGE : undefined;
    expect({ op: o.id, r: matchRoute(o.method, fill(o.path)) }).toEqual({
      op: o.id,
      r: { op: o.id, ...(id ? { id } : {}) },
    });
  }
});

it("route keys are the documented paths, each variable a whole segment (no `{id}:verb`)", () => {
  for (const { routeKey } of apiRoutes())
    expect(routeKey).toMatch(/^(GET|POST|PATCH|DELETE) (\/([a-z0-9-]+|\{[A-Za-z]+\}))+$/);
});

it("the literal bulk-delete path is not read as a message id, and other methods are named", () => {
  expect(matchRoute("POST", "/v1/messages/bulk-delete")).toEqual({ op: "bulkDelete" });
  expect(matchRoute("POST", "/v1/messages/o-1")).toEqual({ allowed: ["GET", "PATCH", "DELETE"] });
  expect(matchRoute("POST", "/v1/messages/o-1:resend")).toEqual({ allowed: ["GET", "PATCH", "DELETE"] });
  expect(matchRoute("GET", "/v1/nothing")).toBeUndefined();
});
