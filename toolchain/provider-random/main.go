// Command pulumi-resource-random: the `random` Pulumi resource plugin, bridged by this
// project from the upstream plugin-framework Terraform provider
// (hashicorp/terraform-provider-random) with pulumi-terraform-bridge's pf bridge.
//
// Tokens follow pulumi/pulumi-random's provider/resources.go (one module "index",
// names "Random" + the TF name in CamelCase, e.g. random_password -> random:index/randomPassword:RandomPassword)
// so the plugin answers what @pulumi/random sends.
//
// The Pulumi package schema is generated in-process from the Terraform schema the first
// time the engine asks for it (GetSchema); nothing is generated at build time.
//
//	pulumi-resource-random -version            print the plugin version
//	pulumi-resource-random -emit-schema FILE   write the Pulumi schema (JSON) and exit
//	pulumi-resource-random                     serve the plugin (started by the engine)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	tks "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"

	"github.com/terraform-providers/terraform-provider-random/shim"
)

// version is set with -ldflags "-X main.version=X.Y.Z"; it must equal the npm SDK's version.
var version = "0.0.0-dev"

const pkg = "random"

func providerInfo() tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:           pftfbridge.ShimProvider(shim.NewProvider()),
		Name:        pkg,
		Version:     version,
		Description: "A Pulumi package to safely use randomness in Pulumi programs (vault-stack local build).",
		Keywords:    []string{"pulumi", "random"},
		License:     "Apache-2.0",
		Homepage:    "https://pulumi.io",
		Repository:  "https://github.com/pulumi/pulumi-random",
		// The pf bridge requires bridge metadata; upstream embeds a generated
		// bridge-metadata.json that only records token history for auto-aliasing,
		// which a fresh build does not need.
		MetadataInfo: tfbridge.NewProviderMetadata([]byte("{}")),
		Resources: map[string]*tfbridge.ResourceInfo{
			"random_string": {PreStateUpgradeHook: assumeV1WhenUnversioned},
			// random_bytes has no `id` attribute: its id is the base64 value.
			"random_bytes": {ComputeID: bytesID},
		},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	prov.MustComputeTokens(tks.SingleModule("random_", "index",
		func(module, name string) (string, error) { return tks.MakeStandard(pkg)(module, "Random"+name) }))
	return prov
}

// assumeV1WhenUnversioned: RandomString states written by old pulumi-random releases may
// lack the schema version marker; treat them as version 1 (as pulumi-random does).
func assumeV1WhenUnversioned(a tfbridge.PreStateUpgradeHookArgs) (int64, resource.PropertyMap, error) {
	if a.PriorStateSchemaVersion == 0 {
		return 1, a.PriorState, nil
	}
	return a.PriorStateSchemaVersion, a.PriorState, nil
}

func bytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if !ok {
		return "", errors.New("random_bytes: no base64 property in state")
	}
	if v.IsSecret() { // sensitive in TF, a secret in Pulumi; ids cannot be secret
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", errors.New("random_bytes: base64 property is not a string")
	}
	return resource.ID(v.StringValue()), nil
}

// schemaJSON generates the Pulumi package schema from the Terraform schema
// (descriptions from the Terraform schema only; no upstream docs repository).
func schemaJSON() ([]byte, error) {
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	r, err := pftfgen.GenerateSchema(context.Background(), pftfgen.GenerateSchemaOptions{
		ProviderInfo:    providerInfo(),
		DiagnosticsSink: sink,
		XInMemoryDocs:   true,
	})
	if err != nil {
		return nil, err
	}
	var spec map[string]any
	if err := json.Unmarshal(r.ProviderMetadata.PackageSchema, &spec); err != nil {
		return nil, err
	}
	spec["version"] = version
	return json.Marshal(spec)
}

var lazySchema = sync.OnceValues(schemaJSON)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-emit-schema" {
		b, err := lazySchema()
		if err == nil {
			err = os.WriteFile(os.Args[2], b, 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-resource-%s: %v\n", pkg, err)
			os.Exit(1)
		}
		return
	}
	pftfbridge.Main(context.Background(), pkg, providerInfo(), pftfbridge.ProviderMetadata{
		XGetSchema: func(context.Context, plugin.GetSchemaRequest) ([]byte, error) { return lazySchema() },
	})
}
