import { fixSet, setting } from "./messages";
import { fixNodeHost, parseNodeHosts } from "./nodeHosts";
import { nodeHostsRule } from "./validate";

// Where each node of a cluster across Docker hosts runs and is reached, and the problems refused.

const collect = (raw: unknown, nodes = 3): { hosts: ReturnType<typeof parseNodeHosts>; errors: string[] } => {
    const errors: string[] = [];
    return { hosts: parseNodeHosts(JSON.stringify(raw), nodes, errors), errors };
};

describe("parseNodeHosts", () => {
    test("one entry per node; node 0 on this host's engine, the others on theirs", () => {
        const r = collect([
            { address: "10.0.0.1" },
            { address: "10.0.0.2", docker: "ssh://ops@10.0.0.2" },
            { address: "10.0.0.3", docker: "tcp://10.0.0.3:2376" },
        ]);
        expect(r.errors).toEqual([]);
        expect(r.hosts).toEqual([
            { docker: "", address: "10.0.0.1" },
            { docker: "ssh://ops@10.0.0.2", address: "10.0.0.2" },
            { docker: "tcp://10.0.0.3:2376", address: "10.0.0.3" },
        ]);
    });

    test("absent: every node on this host", () => {
        const errors: string[] = [];
        expect(parseNodeHosts(undefined, 3, errors)).toEqual([]);
        expect(errors).toEqual([]);
    });

    test("each problem names the entry, its value and the fix", () => {
        const r = collect([{ address: "10.0.0.1", docker: "ssh://x@y" }, { address: "host-b" }, { address: "10.0.0.3", docker: "http://10.0.0.3" }]);
        expect(r.errors).toEqual([
            `${setting("nodeHosts[0]")}.docker (ssh://x@y) must be empty: node 0 runs on this host's engine, where the program initialises it`,
            `${setting("nodeHosts[1]")}.address (host-b) must be an IPv4 address the other nodes reach node 1 at: set it with ${fixNodeHost(1)}`,
            `${setting("nodeHosts[2]")}.docker (http://10.0.0.3) must be a Docker host such as unix:///run/docker.sock, tcp://10.0.0.2:2376 or ssh://user@host: set it with ${fixNodeHost(2)}`,
        ]);
    });

    test("a count other than nodes is refused", () => {
        expect(collect([{ address: "10.0.0.1" }, { address: "10.0.0.2" }]).errors).toEqual([
            `${setting("nodeHosts")} (2 entries) must have one entry per node, and ${setting("nodes")} is 3: set ${fixSet("nodes", 2)} or add entries with ${fixNodeHost(2)}`,
        ]);
    });
});

describe("nodeHostsRule", () => {
    const raw = { nodeHosts: { value: JSON.stringify([{ address: "10.0.0.1" }, { address: "10.0.0.2" }, { address: "10.0.0.3" }]), secret: false } };

    test("on raft with allowInsecureBind: accepted", () => {
        const errors: string[] = [];
        expect(nodeHostsRule(raw, { nodes: 3, storage: "raft", allowInsecureBind: true }, errors)).toHaveLength(3);
        expect(errors).toEqual([]);
    });

    test("file storage, and a plain-HTTP API beyond loopback without allowInsecureBind, are refused", () => {
        const errors: string[] = [];
        nodeHostsRule(raw, { nodes: 3, storage: "file", allowInsecureBind: false }, errors);
        expect(errors).toHaveLength(2);
        expect(errors[0]).toContain(`needs ${setting("storage")} raft`);
        expect(errors[1]).toContain(fixSet("allowInsecureBind", "true"));
    });
});
