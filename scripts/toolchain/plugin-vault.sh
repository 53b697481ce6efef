#!/usr/bin/env bash
# The vault Pulumi resource plugin (bridged here from the upstream Terraform provider).
exec bash "$(dirname "$0")/plugin-bridged.sh" vault
