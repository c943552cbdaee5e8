//! Gaussian mixture models and K-means.
