// Package shim exposes the SDKv2 half of the upstream Docker provider.
// The upstream binary muxes it with a plugin-framework provider (docker_containers
// and docker_registry_image_tags data sources, docker_compose, actions); only the
// SDKv2 half is bridged.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the upstream SDKv2 provider.
func NewProvider(version string) *schema.Provider {
	return provider.New(version)()
}
