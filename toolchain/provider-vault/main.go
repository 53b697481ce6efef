// Command pulumi-resource-vault: the `vault` Pulumi resource plugin, bridged from
// the SDKv2 half of the upstream Terraform provider with pulumi-terraform-bridge.
//
// Tokens follow pulumi/pulumi-vault's provider/resources.go (module map plus the
// explicit tokens below) so the plugin answers what @pulumi/vault sends. The
// upstream binary also muxes a plugin-framework provider; its resources are not
// bridged here (see docs/toolchain/providers-docker-vault.md).
//
//	pulumi-resource-vault -emit-schema FILE   write the Pulumi schema (JSON) and exit
//	pulumi-resource-vault                     serve the plugin (started by the engine)
package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/hashicorp/terraform-provider-vault/vault"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	tks "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// version is set with -ldflags "-X main.version=X.Y.Z"; it must equal the npm SDK's version.
var version = "0.0.0-dev"

//go:embed schema-embed.json
var embeddedSchema []byte

const pkg = "vault"

// notBridged collects mapped Terraform names missing from the SDKv2 provider.
var notBridged []string

// TF name prefix (after "vault_") -> Pulumi module, as in pulumi-vault; other names go to "index".
var moduleMap = map[string]string{
	"ad": "AD", "alicloud": "AliCloud", "approle": "AppRole", "aws": "Aws", "azure": "Azure",
	"consul": "Consul", "database": "Database", "gcp": "Gcp", "generic": "Generic",
	"github": "GitHub", "identity": "Identity", "jwt": "Jwt", "kmip": "Kmip",
	"kubernetes": "Kubernetes", "kv": "kv", "ldap": "Ldap", "managed": "Managed",
	"mongodbatlas": "MongoDBAtlas", "okta": "Okta", "pki_secret": "PkiSecret",
	"rabbitmq": "RabbitMQ", "saml": "Saml", "ssh": "Ssh", "terraform_cloud": "TerraformCloud",
	"token": "TokenAuth", "transform": "Transform", "transit": "Transit",
	// Modules that @pulumi/vault 7.x has in addition: vault_config_* and vault_secrets_sync_*.
	"config": "config", "secrets": "secrets",
}

// Module names that are not simply lower-cased in tokens.
var specialModuleNames = map[string]string{"AppRole": "appRole", "PkiSecret": "pkiSecret", "RabbitMQ": "rabbitMq"}

// member makes "vault:<module>/<lowerCamel>:<Name>"; the module "" or "index" is the main module.
func member(module, name string) tokens.ModuleMember {
	mod := strings.ToLower(module)
	if module == "" {
		mod = "index"
	}
	if v, ok := specialModuleNames[module]; ok {
		mod = v
	}
	fn := string(unicode.ToLower(rune(name[0]))) + name[1:]
	return tokens.ModuleMember(pkg + ":" + mod + "/" + fn + ":" + name)
}

func res(module, name string) *tfbridge.ResourceInfo {
	return &tfbridge.ResourceInfo{Tok: tokens.Type(member(module, name))}
}

func providerInfo() tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(vault.Provider()),
		Name:        pkg,
		Version:     version,
		DisplayName: "HashiCorp Vault",
		Description: "Vault resources, bridged from hashicorp/terraform-provider-vault (vault-stack local build)",
		Keywords:    []string{"pulumi", "vault"},
		License:     "Apache-2.0",
		GitHubOrg:   "hashicorp",
		Repository:  "https://github.com/pulumi/pulumi-vault",
		Config: map[string]*tfbridge.SchemaInfo{
			"skip_tls_verify": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"VAULT_SKIP_VERIFY"}}},
			"max_lease_ttl_seconds": {Default: &tfbridge.DefaultInfo{
				EnvVars: []string{"TERRAFORM_VAULT_MAX_TTL"}, Value: 1200}},
			"max_retries": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"VAULT_MAX_RETRIES"}, Value: 2}},
		},
		// Tokens that the module rules do not produce (as in pulumi-vault).
		Resources: map[string]*tfbridge.ResourceInfo{
			"vault_audit":                               res("", "Audit"),
			"vault_audit_request_header":                res("", "AuditRequestHeader"),
			"vault_auth_backend":                        res("", "AuthBackend"),
			"vault_cert_auth_backend_role":              res("", "CertAuthBackendRole"),
			"vault_egp_policy":                          res("", "EgpPolicy"),
			"vault_mfa_duo":                             res("", "MfaDuo"),
			"vault_mfa_okta":                            res("", "MfaOkta"),
			"vault_mfa_pingid":                          res("", "MfaPingid"),
			"vault_mfa_totp":                            res("", "MfaTotp"),
			"vault_mount":                               res("", "Mount"),
			"vault_namespace":                           res("", "Namespace"),
			"vault_policy":                              res("", "Policy"),
			"vault_rgp_policy":                          res("", "RgpPolicy"),
			"vault_token":                               res("", "Token"),
			"vault_quota_rate_limit":                    res("", "QuotaRateLimit"),
			"vault_nomad_secret_backend":                res("", "NomadSecretBackend"),
			"vault_nomad_secret_role":                   res("", "NomadSecretRole"),
			"vault_password_policy":                     res("", "PasswordPolicy"),
			"vault_quota_lease_count":                   res("", "QuotaLeaseCount"),
			"vault_raft_snapshot_agent_config":          res("", "RaftSnapshotAgentConfig"),
			"vault_raft_autopilot":                      res("", "RaftAutopilot"),
			"vault_ad_secret_library":                   res("AD", "SecretLibrary"),
			"vault_approle_auth_backend_role_secret_id": res("AppRole", "AuthBackendRoleSecretId"),
			"vault_azure_secret_backend":                res("Azure", "Backend"),
			"vault_azure_secret_backend_role":           res("Azure", "BackendRole"),
			"vault_identity_group_alias": {
				Tok:    tokens.Type(member("Identity", "GroupAlias")),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
			},
			"vault_identity_group_member_group_ids":              res("Identity", "GroupMemberGroupIds"),
			"vault_identity_group_member_entity_ids":             res("Identity", "GroupMemberEntityIds"),
			"vault_identity_oidc_key_allowed_client_id":          res("Identity", "OidcKeyAllowedClientID"),
			"vault_kv_secret_backend_v2":                         res("kv", "SecretBackendV2"),
			"vault_kv_secret_v2":                                 res("kv", "SecretV2"),
			"vault_managed_keys":                                 res("Managed", "Keys"),
			"vault_pki_secret_backend_cert":                      res("PkiSecret", "SecretBackendCert"),
			"vault_pki_secret_backend_config_ca":                 res("PkiSecret", "SecretBackendConfigCa"),
			"vault_pki_secret_backend_config_issuers":            res("PkiSecret", "SecretBackendConfigIssuers"),
			"vault_pki_secret_backend_config_urls":               res("PkiSecret", "SecretBackendConfigUrls"),
			"vault_pki_secret_backend_crl_config":                res("PkiSecret", "SecretBackendCrlConfig"),
			"vault_pki_secret_backend_intermediate_cert_request": res("PkiSecret", "SecretBackendIntermediateCertRequest"),
			"vault_pki_secret_backend_intermediate_set_signed":   res("PkiSecret", "SecretBackendIntermediateSetSigned"),
			"vault_pki_secret_backend_issuer":                    res("PkiSecret", "SecretBackendIssuer"),
			"vault_pki_secret_backend_key":                       res("PkiSecret", "SecretBackendKey"),
			"vault_pki_secret_backend_root_cert":                 res("PkiSecret", "SecretBackendRootCert"),
			"vault_pki_secret_backend_root_sign_intermediate":    res("PkiSecret", "SecretBackendRootSignIntermediate"),
			"vault_pki_secret_backend_sign":                      res("PkiSecret", "SecretBackendSign"),
			"vault_pki_secret_backend_role": {
				Tok: tokens.Type(member("PkiSecret", "SecretBackendRole")),
				// Renamed in pulumi-vault to avoid a pluralisation error.
				Fields: map[string]*tfbridge.SchemaInfo{"ou": {Name: "organizationUnit"}},
			},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"vault_policy_document":      {Tok: member("", "getPolicyDocument")},
			"vault_auth_backend":         {Tok: member("", "getAuthBackend")},
			"vault_nomad_access_token":   {Tok: member("", "getNomadAccessToken")},
			"vault_auth_backends":        {Tok: member("", "getAuthBackends")},
			"vault_raft_autopilot_state": {Tok: member("", "getRaftAutopilotState")},
		},
	}
	// Drop explicit entries for resources this upstream version serves from its
	// plugin-framework half (not bridged here); emit-schema lists them.
	for tf := range prov.Resources {
		if _, ok := prov.P.ResourcesMap().GetOk(tf); !ok {
			delete(prov.Resources, tf)
			notBridged = append(notBridged, tf)
		}
	}
	for tf := range prov.DataSources {
		if _, ok := prov.P.DataSourcesMap().GetOk(tf); !ok {
			delete(prov.DataSources, tf)
			notBridged = append(notBridged, tf+" (data source)")
		}
	}
	prov.MustComputeTokens(tks.MappedModules("vault_", "index", moduleMap,
		func(module, name string) (string, error) { return string(member(module, name)), nil }))
	prov.SetAutonaming(255, "-")
	return prov
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-emit-schema" {
		if err := emitSchema(os.Args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-resource-%s: %v\n", pkg, err)
			os.Exit(1)
		}
		return
	}
	var schema []byte
	if len(embeddedSchema) > 2 { // the committed placeholder is "{}"
		schema = embeddedSchema
	}
	tfbridge.Main(pkg, version, providerInfo(), schema)
}

// emitSchema writes the Pulumi package schema generated from the Terraform schema
// (descriptions from the Terraform schema only; no upstream docs repository).
func emitSchema(path string) error {
	sink := diag.DefaultSink(io.Discard, os.Stderr, diag.FormatOptions{Color: colors.Never})
	r, err := tfgen.GenerateSchemaWithOptions(tfgen.GenerateSchemaOptions{
		ProviderInfo:    providerInfo(),
		DiagnosticsSink: sink,
		XInMemoryDocs:   true,
	})
	if err != nil {
		return err
	}
	for _, tf := range notBridged {
		fmt.Fprintf(os.Stderr, "not in the SDKv2 provider (not bridged): %s\n", tf)
	}
	spec := r.PackageSpec
	spec.Version = version
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
