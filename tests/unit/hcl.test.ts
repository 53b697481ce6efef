import { renderReadPolicy, renderVaultHcl } from "../../core/hcl";
import { FIXED_SECRET_PATHS } from "../../core/secretPaths";

describe("renderVaultHcl", () => {
    test("renders the playbook's step 2 configuration", () => {
        expect(renderVaultHcl({ apiAddr: "http://127.0.0.1:8200", ui: true })).toBe(`storage "file" {
  path = "/vault/data"
}

listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = 1
}

api_addr = "http://127.0.0.1:8200"

ui = true

disable_mlock = true
`);
    });

    test("follows the api address and ui flag", () => {
        const hcl = renderVaultHcl({ apiAddr: "http://127.0.0.1:18200", ui: false });
        expect(hcl).toContain('api_addr = "http://127.0.0.1:18200"');
        expect(hcl).toContain("ui = false");
    });
});

describe("renderVaultHcl: a Raft node", () => {
    test("integrated storage with the node's ID and a retry_join per peer, the cluster listener and cluster_addr", () => {
        const hcl = renderVaultHcl({
            apiAddr: "http://127.0.0.1:18201",
            ui: true,
            raft: { nodeId: "node1", clusterAddr: "http://vault-t-1:8201", peers: ["http://vault-t:8200", "http://vault-t-2:8200"] },
        });
        expect(hcl).toBe(`storage "raft" {
  path    = "/vault/data"
  node_id = "node1"

  retry_join {
    leader_api_addr = "http://vault-t:8200"
  }

  retry_join {
    leader_api_addr = "http://vault-t-2:8200"
  }
}

listener "tcp" {
  address     = "0.0.0.0:8200"
  cluster_address = "0.0.0.0:8201"
  tls_disable = 1
}

api_addr = "http://127.0.0.1:18201"
cluster_addr = "http://vault-t-1:8201"

ui = true

disable_mlock = true
`);
    });
});

describe("renderReadPolicy", () => {
    const policy = renderReadPolicy("secret", FIXED_SECRET_PATHS);
    const paths = [...policy.matchAll(/^path "([^"]+)"/gm)].map((m) => m[1]);
    const capabilities = [...policy.matchAll(/capabilities = \[([^\]]*)\]/g)].map((m) => m[1]);

    test("grants read on exactly the five data paths and read/list on their metadata", () => {
        expect(paths).toEqual(FIXED_SECRET_PATHS.flatMap((p) => [`secret/data/${p}`, `secret/metadata/${p}`]));
        expect(paths.filter((p) => p!.startsWith("secret/data/"))).toHaveLength(5);
        expect(capabilities).toEqual(FIXED_SECRET_PATHS.flatMap(() => ['"read"', '"read", "list"']));
    });

    test("grants no write, no delete, no sudo, no sys/ and no wildcard", () => {
        expect(policy).not.toMatch(/create|update|delete|patch|sudo|deny/);
        expect(policy).not.toContain("sys/");
        expect(policy).not.toContain("*");
        expect(policy).not.toContain("+");
    });
});
