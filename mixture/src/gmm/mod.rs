//! Gaussian mixture models fitted by EM.
