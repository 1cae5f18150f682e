#pragma once
#include "app/cutover/phase.h"
