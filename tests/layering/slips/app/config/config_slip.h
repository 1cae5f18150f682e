#pragma once
// planted slip: an arrow back up
#include "app/cutover/phase.h"
