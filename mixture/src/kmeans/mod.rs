//! K-means clustering: Lloyd, mini-batch, k-means++.
