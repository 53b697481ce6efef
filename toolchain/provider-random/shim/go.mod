// Lets our plugin import the upstream random provider's internal/provider package:
// the Go `internal` rule accepts an importer whose path is under
// github.com/terraform-providers/terraform-provider-random/ (the path upstream's go.mod
// declares; the proxy serves the code as github.com/hashicorp/terraform-provider-random).
module github.com/terraform-providers/terraform-provider-random/shim

go 1.25.8

require (
	github.com/hashicorp/terraform-plugin-framework v1.19.0
	github.com/terraform-providers/terraform-provider-random v0.0.0
)

replace github.com/terraform-providers/terraform-provider-random => github.com/hashicorp/terraform-provider-random v1.3.2-0.20260824155315-e1092b0cfc07
