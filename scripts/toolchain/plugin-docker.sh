#!/usr/bin/env bash
# The docker Pulumi resource plugin (bridged here from the upstream Terraform provider).
exec bash "$(dirname "$0")/plugin-bridged.sh" docker
