// Builds the HashiCorp Vault v1.14.8 server (MPL-2.0, the last open-source
// release) for the locally built server image. Vault's own go.mod replaces its
// api, sdk and api/auth/* modules with local folders, so `go install
// github.com/hashicorp/vault@v1.14.8` is refused; this module requires them at
// the versions Vault v1.14.8 declares and builds its main package. Those folders
// at the v1.14.8 tag are not published as modules: sdk v0.9.2 lacks five symbols
// the release branch added, so scripts/toolchain/server-image.sh builds from a
// copy of this module (in the cache) that replaces the sdk with sdk v0.9.2 plus
// sdk-additions/. Do not run `go mod tidy` here: the module has no packages.
module vaultstack.local/toolchain/vault-server

go 1.26

// github.com/snowflakedb/gosnowflake v1.6.24 (a builtin database plugin) parses an
// embedded CA certificate with a negative serial number at init; Go >= 1.23 rejects
// those unless this setting restores the old behaviour (the binary panics otherwise).
godebug x509negativeserial=1

require (
	github.com/hashicorp/vault v1.14.8
	// v1.14.8 declares api v1.9.2, but its command package calls two methods
	// (Raft autopilot *WithDRToken) its release branch's api folder gained later;
	// api v1.10.0 is the first tag that has them (the only other changes: a clone
	// deadlock fix, sudo-path and plugin-runtime helpers).
	github.com/hashicorp/vault/api v1.10.0
	github.com/hashicorp/vault/api/auth/approle v0.1.0
	github.com/hashicorp/vault/api/auth/kubernetes v0.4.1
	github.com/hashicorp/vault/api/auth/userpass v0.1.0
	github.com/hashicorp/vault/sdk v0.9.2
)
