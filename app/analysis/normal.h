#pragma once

// The standard normal distribution, for the normal approximation of the Mann-Whitney statistic.

namespace cutover::analysis {

// P(Z > z), accurate in the far tail (computed from erfc, not as 1 - cdf).
double normalSurvival(double z);

// The z with P(Z <= z) = p, for 0 < p < 1 (full double precision); NaN outside (0, 1).
double normalQuantile(double p);

} // namespace cutover::analysis
