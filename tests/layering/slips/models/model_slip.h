#pragma once
// planted slip: a model includes a backend client
#include "app/backends/lb_fleet.h"
#include "app/backends/lb_types.h"
