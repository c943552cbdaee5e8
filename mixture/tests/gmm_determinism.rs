//! Fitted mixtures do not depend on the number of threads, and batched EM is
//! exact EM.

mod common;

use admix_mixture::gmm::{GaussianMixture, GaussianMixtureModel};
use common::*;

fn fit_with_threads(
    threads: usize,
    ctype: admix_mixture::gmm::CovarianceType,
) -> GaussianMixtureModel {
    let x = three_blobs(1000, 12);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        GaussianMixture::params(3)
            .covariance_type(ctype)
            .task_rows(37)
            .n_init(2)
            .seed(3)
            .tol(0.0)
            .max_iter(8)
            .fit(x.view())
            .unwrap()
    })
}

#[test]
fn bitwise_identical_for_one_two_and_three_threads() {
    for ctype in ALL_TYPES {
        let one = fit_with_threads(1, ctype);
        assert_eq!(fit_with_threads(2, ctype), one, "{ctype}");
        assert_eq!(fit_with_threads(3, ctype), one, "{ctype}");
        // Predictions too.
        let x = three_blobs(700, 5);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        assert_eq!(
            pool.install(|| one.predict_proba(x.view()).unwrap()),
            one.predict_proba(x.view()).unwrap()
        );
    }
}

#[test]
fn batched_em_equals_unbatched_em() {
    let x = three_blobs(900, 13);
    for ctype in ALL_TYPES {
        let (w, m, c) = rough_start(ctype);
        let params = GaussianMixture::params(3)
            .covariance_type(ctype)
            .weights_init(w)
            .means_init(m)
            .covariances_init(c)
            .tol(0.0)
            .max_iter(10);
        let whole = params.clone().task_rows(x.nrows()).fit(x.view()).unwrap();
        for batch in [1, 7, 256, 300] {
            let batched = params.clone().task_rows(batch).fit(x.view()).unwrap();
            assert!(
                max_rel_diff(
                    batched.means().view().into_dyn(),
                    whole.means().view().into_dyn()
                ) < 1e-12
            );
            assert!(
                max_rel_diff(
                    batched.weights().view().into_dyn(),
                    whole.weights().view().into_dyn()
                ) < 1e-12
            );
            assert!(max_rel_diff(batched.covariances().view(), whole.covariances().view()) < 1e-12);
            for (a, b) in batched
                .log_likelihood_trace()
                .iter()
                .zip(whole.log_likelihood_trace())
            {
                approx::assert_relative_eq!(a, b, max_relative = 1e-12);
            }
        }
    }
}

/// Statistics of two batches merged equal the statistics of all the data, so
/// `statistics` + `merge` + `m_step` is exact EM over data seen in batches.
#[test]
fn merged_batch_statistics_give_the_em_step_of_the_whole() {
    let x = three_blobs(500, 21);
    for ctype in ALL_TYPES {
        let (w, m, c) = rough_start(ctype);
        let model = GaussianMixtureModel::new(w.clone(), m.clone(), c.clone()).unwrap();
        let mut stats = model
            .statistics(x.slice(ndarray::s![..123, ..]), None)
            .unwrap();
        stats
            .merge(
                &model
                    .statistics(x.slice(ndarray::s![123.., ..]), None)
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(stats.weight(), 500.0);
        // Statistics of another model do not merge.
        let other =
            GaussianMixtureModel::new(w.clone() * 0.0 + 1.0 / 3.0, m.clone() + 1.0, c.clone())
                .unwrap();
        let foreign = other.statistics(x.view(), None).unwrap();
        assert!(matches!(
            stats.clone().merge(&foreign),
            Err(admix_mixture::MixtureError::ShapeMismatch { .. })
        ));
        let next = model.m_step(&stats, 1e-6).unwrap();
        let fitted = GaussianMixture::params(3)
            .covariance_type(ctype)
            .weights_init(w)
            .means_init(m)
            .covariances_init(c)
            .max_iter(1)
            .fit(x.view())
            .unwrap();
        assert!(
            max_rel_diff(
                next.means().view().into_dyn(),
                fitted.means().view().into_dyn()
            ) < 1e-12
        );
        assert!(max_rel_diff(next.covariances().view(), fitted.covariances().view()) < 1e-12);
        approx::assert_relative_eq!(
            stats.mean_log_likelihood(),
            fitted.log_likelihood_trace()[0],
            max_relative = 1e-12
        );
    }
}

/// Initialisations draw per sample, not per batch: the batch size does not
/// change which model a seed gives.
#[test]
fn initialisations_do_not_depend_on_the_task_rows() {
    let x = three_blobs(600, 17);
    for init in [
        admix_mixture::gmm::GmmInit::Random,
        admix_mixture::gmm::GmmInit::RandomFromData,
    ] {
        let params = GaussianMixture::params(3)
            .init(init)
            .seed(9)
            .tol(0.0)
            .max_iter(5);
        let whole = params.clone().task_rows(600).fit(x.view()).unwrap();
        let batched = params.task_rows(50).fit(x.view()).unwrap();
        assert!(
            max_rel_diff(
                batched.means().view().into_dyn(),
                whole.means().view().into_dyn()
            ) < 1e-12
        );
        assert!(max_rel_diff(batched.covariances().view(), whole.covariances().view()) < 1e-12);
    }
}
