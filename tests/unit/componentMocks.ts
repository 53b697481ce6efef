import type * as pulumiType from "@pulumi/pulumi";
import { MockOptions, MockRun, Registered, one, settle, underMocks } from "./mocks";

// One component on its own under Pulumi mocks. The mocks see each child's type, name and inputs;
// its resource options (parent, protect, ignoreChanges, additionalSecretOutputs, ...) never reach
// them, so a transformation handed to the component (children inherit it) records those too.

/** A component's run: the mocks' view, plus the options each resource was declared with, by name. */
export interface ComponentRun<C> extends MockRun<C> {
    /** The options a resource (the component or a child) was declared with. */
    options(name: string): pulumiType.CustomResourceOptions;
    /** The single registered resource of a type (and optionally a name). */
    one(type: string, name?: string): Registered;
}

/** Builds the component under test with the options the harness hands it. */
export type Build<C> = (opts: pulumiType.ComponentResourceOptions) => C;

/**
 * Instantiate one component under mocks in a fresh module registry and wait until the mocks have
 * seen all it declares. `load` requires the component's module inside the registry (so it shares
 * the registry's @pulumi/pulumi, which it receives) and returns how to build it.
 */
export async function runComponent<C extends pulumiType.ComponentResource>(
    load: (pulumi: typeof pulumiType) => Build<C>,
    opts: MockOptions = {},
): Promise<ComponentRun<C>> {
    const seen = new Map<string, pulumiType.CustomResourceOptions>();
    const record: pulumiType.ResourceTransformation = (args) => {
        seen.set(args.name, args.opts);
        return undefined;
    };
    const run = await underMocks((pulumi) => {
        const build = load(pulumi);
        return () => build({ transformations: [record] });
    }, opts);
    await settle(run, Object.values(run.result));
    return {
        ...run,
        options(name) {
            const o = seen.get(name);
            if (o === undefined) throw new Error(`no resource named ${name}; seen: ${[...seen.keys()].join(", ")}`);
            return o;
        },
        one: (type, name) => one(run, type, name),
    };
}

/** `type name` of every registered resource, sorted, for comparing a component's children. */
export const inventory = (run: { readonly resources: readonly Registered[] }): string[] => run.resources.map((r) => `${r.type} ${r.name}`).sort();
