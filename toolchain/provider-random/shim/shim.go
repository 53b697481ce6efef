// Package shim exposes the upstream random provider's plugin-framework provider to
// our plugin. It lives under github.com/terraform-providers/terraform-provider-random/
// (the module path upstream's go.mod declares) so the Go `internal` rule lets it import
// .../internal/provider.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns upstream's plugin-framework provider (random_* resources).
func NewProvider() provider.Provider { return upstream.New() }
