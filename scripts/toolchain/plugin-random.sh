#!/usr/bin/env bash
# The `random` plugin ($RANDOM_PLUGIN_VERSION), bridged from upstream terraform-provider-random
# (plugin framework); see plugin-bridged.sh.
exec bash "$(dirname "$0")/plugin-bridged.sh" random
