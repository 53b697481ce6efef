import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// A second Docker engine on this machine for the multi-host e2e: its own socket, data root, exec
// root and bridge (a fresh Linux bridge with its own /24), started and stopped by the test. It
// leaves iptables to the first engine (--iptables=false): published ports go through Docker's
// userland proxy, and the bridge's address is a host address both engines' containers reach.

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ok: boolean; out: string } => {
    const r = spawnSync(cmd, args, { encoding: "utf8", env, timeout: 120_000 });
    return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
};

export class SecondEngine {
    private constructor(
        readonly dir: string,
        readonly bridge: string,
        /** The bridge's address on this host: where the nodes of both engines reach each other. */
        readonly gateway: string,
        private readonly pid: number,
    ) {}

    /** The engine's Docker host, as `DOCKER_HOST` or a provider's `host` names it. */
    get host(): string {
        return `unix://${this.dir}/docker.sock`;
    }

    /** Environment for the `docker` client talking to this engine. */
    env(): NodeJS.ProcessEnv {
        return { ...process.env, DOCKER_HOST: this.host };
    }

    /** Run the docker client against this engine. */
    docker(args: string[]): string {
        const r = run("docker", args, this.env());
        if (!r.ok) throw new Error(`docker ${args.join(" ")} on the second engine failed: ${r.out}`);
        return r.out;
    }

    static async start(): Promise<SecondEngine> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "de-"));
        const bridge = `vsd${crypto.randomBytes(3).toString("hex")}`;
        // A /24 no route on this host uses yet.
        const routes = run("ip", ["-4", "route"]).out;
        const third = [...Array(200).keys()].map((i) => 40 + i).find((n) => !routes.includes(`172.29.${n}.`));
        if (third === undefined) throw new Error("no free 172.29.x.0/24 for the second engine's bridge");
        const gateway = `172.29.${third}.1`;
        for (const args of [
            ["link", "add", bridge, "type", "bridge"],
            ["addr", "add", `${gateway}/24`, "dev", bridge],
            ["link", "set", bridge, "up"],
        ]) {
            const r = run("ip", args);
            if (!r.ok) throw new Error(`ip ${args.join(" ")}: ${r.out} (the second engine needs root to make its bridge)`);
        }
        const log = fs.openSync(path.join(dir, "dockerd.log"), "a");
        const child = spawn(
            "dockerd",
            [
                "--host",
                `unix://${dir}/docker.sock`,
                "--data-root",
                path.join(dir, "root"),
                "--exec-root",
                path.join(dir, "exec"),
                "--pidfile",
                path.join(dir, "docker.pid"),
                "--bridge",
                bridge,
                "--iptables=false",
                "--ip-masq=false",
            ],
            { detached: true, stdio: ["ignore", log, log] },
        );
        child.unref();
        const engine = new SecondEngine(dir, bridge, gateway, child.pid!);
        const deadline = Date.now() + 60_000;
        while (!run("docker", ["info", "--format", "{{.ServerVersion}}"], engine.env()).ok) {
            if (Date.now() > deadline) {
                const tail = fs.readFileSync(path.join(dir, "dockerd.log"), "utf8").split("\n").slice(-10).join("\n");
                await engine.stop();
                throw new Error(`the second dockerd did not answer within 60s:\n${tail}`);
            }
            await new Promise((r) => setTimeout(r, 250));
        }
        return engine;
    }

    /** Copy an image from the first engine into this one (no registry here). */
    loadImage(image: string): void {
        const r = spawnSync("sh", ["-c", `docker save "$IMAGE" | DOCKER_HOST="$TARGET" docker load`], {
            encoding: "utf8",
            env: { ...process.env, IMAGE: image, TARGET: this.host },
            timeout: 300_000,
        });
        if (r.status !== 0) throw new Error(`loading ${image} into the second engine failed: ${r.stderr}`);
    }

    /** Remove its containers, stop it, and remove its bridge and folders. */
    async stop(): Promise<void> {
        const ids = run("docker", ["ps", "-aq"], this.env()).out.split(/\s+/).filter(Boolean);
        if (ids.length > 0) run("docker", ["rm", "-f", ...ids], this.env());
        try {
            process.kill(this.pid, "SIGTERM");
        } catch {
            // Already gone.
        }
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
            try {
                process.kill(this.pid, 0);
            } catch {
                break;
            }
            await new Promise((r) => setTimeout(r, 250));
        }
        run("ip", ["link", "del", this.bridge]);
        run("sh", ["-c", `umount -R "${this.dir}/root" 2>/dev/null; umount -R "${this.dir}/exec" 2>/dev/null; true`]);
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
