#pragma once
// planted slip: a report includes the engine
#include "app/cutover/cutover_engine.h"
#include "app/cutover/engine_snapshot.h"
