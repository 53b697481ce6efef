// Command pulumi-resource-command is THIS PROJECT'S OWN implementation of the local
// subset of the `command` Pulumi provider protocol, answering to version 1.2.1 for the
// npm SDK @pulumi/command@1.2.1. It is not Pulumi's official pulumi-command provider:
// the Go module proxy this project builds from refuses
// github.com/pulumi/pulumi-command/provider and github.com/pulumi/pulumi-go-provider,
// and the provider is not Terraform-bridged, so there is nothing to build it from.
// It is written against github.com/pulumi/pulumi/sdk/v3 only, and follows the
// semantics of the official provider at tag v1.2.1 (commit 7f3eb6f3b77c, its
// provider/pkg/provider/local package on pulumi-go-provider v1.3.0's infer framework),
// including where a program could depend on them. An output is secret only when the
// input of the same name is, so the provider never makes stdout or stderr secret (a
// program marks them with additionalSecretOutputs). A failed command's error quotes the
// command and the output of both streams, whatever `logging` says. Command output is
// streamed as transient status (LogStatus), never as diagnostics. It implements:
//
//   - resource command:local:Command (create/update/delete/dir/environment/interpreter/
//     stdin/triggers/logging/addPreviousOutputInEnv; outputs stdout and stderr);
//   - function command:local:run (the SDK's local.run / local.runOutput);
//   - provider pulumi:providers:command, which takes no configuration.
//
// Not implemented: command:remote:* (SSH), assetPaths/archivePaths (Check rejects them
// with a clear message), and the `assets`/`archive` outputs.
//
// docs/toolchain/provider-command.md describes the behaviour in detail.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is set at build time:
// -ldflags "-X main.Version=1.2.1" (scripts/toolchain/plugin-command.sh does this).
var Version = "0.0.0-dev"

func main() {
	// `pulumi-resource-command -version` prints the stamped version (used by the setup script).
	if len(os.Args) == 2 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(Version)
		return
	}
	err := provider.Main(providerName, func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return newServer(host, Version), nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}
