// planted slip: the window includes the command line
#include "app/cli/command_line.h"
#include "models/plan_errors_model.h"
