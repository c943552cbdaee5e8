//! Drawing samples from a mixture one at a time, so that any number of
//! them can be written out (a file, a pipe) without holding them in memory.

use super::model::GaussianMixtureModel;
use crate::MixtureError;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A seeded stream of samples of one mixture: a component by its weight,
/// then its mean plus its covariance factor times standard normals.
#[derive(Clone, Debug)]
pub struct Sampler<'a> {
    model: &'a GaussianMixtureModel,
    /// Per component: the (d, d) lower Cholesky factor of the covariance,
    /// or d standard deviations for diag and spherical.
    factors: Vec<Vec<f64>>,
    /// Running sums of the weights.
    cumulative: Vec<f64>,
    rng: ChaCha8Rng,
    z: Vec<f64>,
}

impl GaussianMixtureModel {
    /// A stream of samples seeded by `seed`: the same seed gives the same
    /// samples, and the first `n` are exactly those of
    /// [`sample(n, seed)`](GaussianMixtureModel::sample).
    ///
    /// # Errors
    /// [`MixtureError::NotPositiveDefinite`] if a covariance has no Cholesky factor.
    pub fn sampler(&self, seed: u64) -> Result<Sampler<'_>, MixtureError> {
        let k = self.n_components();
        let factors = (0..k)
            .map(|j| self.covariance_factor(j))
            .collect::<Result<_, _>>()?;
        let cumulative = self
            .weights()
            .iter()
            .scan(0.0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .collect();
        Ok(Sampler {
            model: self,
            factors,
            cumulative,
            rng: ChaCha8Rng::seed_from_u64(seed),
            z: vec![0.0; self.n_features()],
        })
    }
}

impl Sampler<'_> {
    /// Writes the next sample into `row` and returns its component.
    ///
    /// # Panics
    /// If `row` does not hold one value per feature.
    #[track_caller]
    pub fn draw(&mut self, row: &mut [f64]) -> usize {
        let d = self.z.len();
        assert_eq!(row.len(), d, "one value per feature");
        let k = self.cumulative.len();
        let total = self.cumulative[k - 1];
        let u: f64 = rand::Rng::random::<f64>(&mut self.rng) * total;
        let j = self.cumulative.iter().position(|&c| u < c).unwrap_or(k - 1);
        for zi in self.z.iter_mut() {
            *zi = StandardNormal.sample(&mut self.rng);
        }
        let l = &self.factors[j];
        let mean = self.model.means().row(j);
        for a in 0..d {
            let lz: f64 = if l.len() == d {
                l[a] * self.z[a]
            } else {
                (0..=a).map(|b| l[a * d + b] * self.z[b]).sum()
            };
            row[a] = mean[a] + lz;
        }
        j
    }
}

#[cfg(test)]
mod tests {
    use crate::gmm::{Covariances, GaussianMixtureModel};
    use ndarray::array;

    #[test]
    fn the_stream_begins_with_the_samples_of_sample() {
        let model = GaussianMixtureModel::new(
            array![0.3, 0.7],
            array![[0.0, 1.0], [5.0, -2.0]],
            Covariances::Tied(array![[2.0, 0.5], [0.5, 1.0]]),
        )
        .unwrap();
        let (x, labels) = model.sample(50, 11).unwrap();
        let mut sampler = model.sampler(11).unwrap();
        let mut row = [0.0; 2];
        for (want, &label) in x.outer_iter().zip(&labels) {
            assert_eq!(sampler.draw(&mut row), label);
            assert_eq!(row.as_slice(), want.as_slice().unwrap());
        }
        let mut other = model.sampler(12).unwrap();
        other.draw(&mut row);
        assert_ne!(row.as_slice(), x.row(0).as_slice().unwrap());
    }
}
