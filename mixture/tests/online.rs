//! Online EM and online K-means: they approach the full-data fits, resume
//! from saved state bitwise, and refuse bad batches and settings.

use admix_mixture::gmm::{
    CovarianceType, Covariances, GaussianMixture, GaussianMixtureModel, OnlineGmm,
};
use admix_mixture::kmeans::{Distance, KMeans, OnlineKMeans};
use admix_mixture::MixtureError;
use ndarray::{array, s, Array2, ArrayView2};

/// 8 000 rows from a known 3-component 2-D mixture, in the order drawn (iid).
fn stream() -> Array2<f64> {
    let truth = GaussianMixtureModel::new(
        array![0.5, 0.3, 0.2],
        array![[0.0, 0.0], [4.0, 1.0], [1.0, 5.0]],
        Covariances::Full(array![
            [[1.0, 0.3], [0.3, 0.8]],
            [[0.6, -0.2], [-0.2, 1.2]],
            [[1.5, 0.0], [0.0, 0.5]]
        ]),
    )
    .unwrap();
    truth.sample(8000, 11).unwrap().0
}

fn batches(x: ArrayView2<'_, f64>, rows: usize) -> impl Iterator<Item = ArrayView2<'_, f64>> {
    (0..x.nrows())
        .step_by(rows)
        .map(move |i| x.slice_move(s![i..(i + rows).min(x.nrows()), ..]))
}

fn online_start(x: ArrayView2<f64>) -> OnlineGmm {
    let first = x.slice(s![..500, ..]);
    let start = GaussianMixture::params(3)
        .covariance_type(CovarianceType::Full)
        .seed(0)
        .check()
        .unwrap()
        .initial_model(first)
        .unwrap();
    OnlineGmm::new(start)
}

#[test]
fn online_em_approaches_the_full_em_optimum() {
    let x = stream();
    let optimum = GaussianMixture::params(3)
        .covariance_type(CovarianceType::Full)
        .seed(0)
        .tol(1e-10)
        .max_iter(500)
        .fit(x.view())
        .unwrap()
        .score(x.view())
        .unwrap();
    let mut online = online_start(x.view());
    let start_gap = optimum - online.model().score(x.view()).unwrap();
    let mut gaps = Vec::new();
    for _ in 0..3 {
        for batch in batches(x.view(), 500) {
            online.partial_fit(batch).unwrap();
        }
        gaps.push(optimum - online.model().score(x.view()).unwrap());
    }
    eprintln!("start gap {start_gap:.3e}, gaps after passes 1..3: {gaps:?}");
    assert!(start_gap > 1e-2, "the start is not already the optimum");
    // EM's optimum is the best mean log-likelihood (up to its tolerance).
    assert!(gaps.iter().all(|&g| g > -1e-6), "{gaps:?}");
    // Measured: 3.3e-4, 1.1e-4, 6.2e-5. Blending with rho = 1 (the last
    // batch alone) ends 4.2e-2 away; freezing the first batch's statistics
    // (rho = 0) 1.1e-2 away.
    assert!(
        gaps[0] < 1e-3 && gaps[2] < 2e-4 && gaps[2] < gaps[0],
        "{gaps:?}"
    );
}

#[test]
fn every_covariance_type_approaches_its_full_em_optimum() {
    let x = stream();
    for ctype in [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diag,
        CovarianceType::Spherical,
    ] {
        let params = GaussianMixture::params(3)
            .covariance_type(ctype)
            .seed(0)
            .check()
            .unwrap();
        let optimum = GaussianMixture::params(3)
            .covariance_type(ctype)
            .seed(0)
            .tol(1e-10)
            .max_iter(500)
            .fit(x.view())
            .unwrap()
            .score(x.view())
            .unwrap();
        let start = params.initial_model(x.slice(s![..500, ..])).unwrap();
        let mut online = OnlineGmm::new(start);
        for _ in 0..2 {
            for batch in batches(x.view(), 500) {
                online.partial_fit(batch).unwrap();
            }
        }
        let gap = optimum - online.model().score(x.view()).unwrap();
        eprintln!("{ctype:?}: gap after 2 passes {gap:.3e}");
        assert_eq!(online.model().covariance_type(), ctype);
        // Measured: full 1.1e-4, tied 5.6e-5, diag 6.8e-5, spherical 6.2e-5.
        assert!((-1e-6..3e-4).contains(&gap), "{ctype:?}: {gap}");
    }
}

#[test]
fn step_sizes_follow_the_schedule() {
    let x = stream();
    let mut online = online_start(x.view())
        .tau(2.0)
        .unwrap()
        .kappa(0.75)
        .unwrap();
    assert_eq!(online.next_step(), 1.0);
    for (t, batch) in batches(x.view(), 1000).take(3).enumerate() {
        let expected = if t == 0 {
            1.0
        } else {
            (t as f64 + 2.0).powf(-0.75)
        };
        assert_eq!(online.next_step(), expected);
        online.partial_fit(batch).unwrap();
    }
    assert_eq!(online.batches(), 3);
}

#[test]
fn saved_state_resumes_bitwise() {
    let x = stream();
    let all: Vec<_> = batches(x.view(), 700).take(8).collect();
    let mut straight = online_start(x.view()).kappa(0.8).unwrap();
    for batch in &all {
        straight.partial_fit(*batch).unwrap();
    }
    let mut resumed = online_start(x.view()).kappa(0.8).unwrap();
    for batch in &all[..3] {
        resumed.partial_fit(*batch).unwrap();
        resumed = OnlineGmm::from_json(&resumed.to_json()).unwrap();
    }
    for batch in &all[3..] {
        resumed.partial_fit(*batch).unwrap();
    }
    assert_eq!(resumed, straight);
    assert_eq!(resumed.to_json(), straight.to_json());
    // Saved before any batch, too.
    let fresh = online_start(x.view());
    assert_eq!(OnlineGmm::from_json(&fresh.to_json()).unwrap(), fresh);
}

#[test]
fn bad_batches_and_settings_are_typed_errors_that_leave_the_state() {
    let x = stream();
    let mut online = online_start(x.view());
    online.partial_fit(x.slice(s![..100, ..])).unwrap();
    let before = online.clone();
    let three_columns = Array2::<f64>::zeros((5, 3));
    assert!(matches!(
        online.partial_fit(three_columns.view()),
        Err(MixtureError::DimensionMismatch {
            expected: 2,
            got: 3
        })
    ));
    let mut nan = x.slice(s![..10, ..]).to_owned();
    nan[[4, 1]] = f64::NAN;
    assert!(matches!(
        online.partial_fit(nan.view()),
        Err(MixtureError::NonFiniteData {
            row: 4,
            column: 1,
            ..
        })
    ));
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        online.partial_fit(empty.view()),
        Err(MixtureError::EmptyData { .. })
    ));
    assert_eq!(online, before);
    for kappa in [0.5, 1.01, f64::NAN] {
        let e = online.clone().kappa(kappa).unwrap_err();
        assert!(matches!(
            e,
            MixtureError::InvalidHyperparameter { name: "kappa", .. }
        ));
    }
    for tau in [-0.1, f64::INFINITY, f64::NAN] {
        let e = online.clone().tau(tau).unwrap_err();
        assert!(matches!(
            e,
            MixtureError::InvalidHyperparameter { name: "tau", .. }
        ));
    }
    assert!(matches!(
        OnlineGmm::from_json("{\"model\": 1}"),
        Err(MixtureError::InvalidModelFile { .. })
    ));
}

/// Sum of squared distances of the rows to their nearest centre, by brute force.
fn inertia(x: ArrayView2<f64>, centres: ArrayView2<f64>) -> f64 {
    x.outer_iter()
        .map(|row| {
            centres
                .outer_iter()
                .map(|c| {
                    row.iter()
                        .zip(c)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min)
        })
        .sum()
}

fn kmeans_start(x: ArrayView2<f64>) -> OnlineKMeans {
    kmeans_start_with(x, Distance::SquaredEuclidean)
}

fn kmeans_start_with(x: ArrayView2<f64>, distance: Distance) -> OnlineKMeans {
    let start = KMeans::params(3)
        .distance(distance)
        .seed(2)
        .max_iter(0)
        .fit(x.slice(s![..500, ..]))
        .unwrap();
    OnlineKMeans::new(&start).unwrap()
}

#[test]
fn online_kmeans_approaches_lloyd() {
    let x = stream();
    let lloyd = KMeans::params(3).seed(2).n_init(3).fit(x.view()).unwrap();
    let best = inertia(x.view(), lloyd.centroids());
    let mut online = kmeans_start(x.view());
    let start = inertia(x.view(), online.model().centroids());
    let mut ratios = Vec::new();
    for _ in 0..3 {
        for batch in batches(x.view(), 500) {
            online.partial_fit(batch).unwrap();
        }
        ratios.push(inertia(x.view(), online.model().centroids()) / best);
    }
    eprintln!(
        "k-means start ratio {:.4}, ratios after passes 1..3: {ratios:.4?}",
        start / best
    );
    assert!(ratios.iter().all(|&r| r > 1.0 - 1e-9), "{ratios:?}");
    // Measured: 1.0002, 1.0000, 1.0000 (the start is 2.36).
    assert!(ratios[2] < 1.001, "{ratios:?}");
}

#[test]
fn online_kmeans_resumes_bitwise_and_refuses_bad_batches() {
    let x = stream();
    let all: Vec<_> = batches(x.view(), 900).take(6).collect();
    let mut straight = kmeans_start(x.view());
    let mut resumed = kmeans_start(x.view());
    for (i, batch) in all.iter().enumerate() {
        straight.partial_fit(*batch).unwrap();
        resumed.partial_fit(*batch).unwrap();
        if i == 2 {
            resumed = OnlineKMeans::from_json(&resumed.to_json()).unwrap();
        }
    }
    assert_eq!(resumed, straight);
    assert_eq!(resumed.model(), straight.model());
    let before = straight.clone();
    let mut nan = x.slice(s![..10, ..]).to_owned();
    nan[[2, 0]] = f64::INFINITY;
    assert!(matches!(
        straight.partial_fit(nan.view()),
        Err(MixtureError::NonFiniteData {
            row: 2,
            column: 0,
            ..
        })
    ));
    assert!(matches!(
        straight.partial_fit(Array2::<f64>::zeros((4, 5)).view()),
        Err(MixtureError::DimensionMismatch {
            expected: 2,
            got: 5
        })
    ));
    assert!(matches!(
        straight.partial_fit(Array2::<f64>::zeros((0, 2)).view()),
        Err(MixtureError::EmptyData { .. })
    ));
    assert_eq!(straight, before);
    assert!(matches!(
        OnlineKMeans::from_json("{\"distance\": \"Cosine\"}"),
        Err(MixtureError::InvalidModelFile { .. })
    ));
}

#[test]
fn online_cosine_kmeans_keeps_unit_centres_and_resumes() {
    // Rows away from the origin, so that their directions differ.
    let x = stream().mapv(|v| v + 3.0);
    let mut online = kmeans_start_with(x.view(), Distance::Cosine);
    let mut resumed = online.clone();
    for batch in batches(x.view(), 1000) {
        online.partial_fit(batch).unwrap();
        resumed = OnlineKMeans::from_json(&resumed.to_json()).unwrap();
        resumed.partial_fit(batch).unwrap();
    }
    assert_eq!(resumed, online);
    let model = online.model();
    assert_eq!(model.distance(), Distance::Cosine);
    for c in model.centroids().outer_iter() {
        assert!((c.dot(&c) - 1.0).abs() < 1e-12, "{c}");
    }
    let zero = Array2::<f64>::zeros((3, 2));
    assert!(matches!(
        online.partial_fit(zero.view()),
        Err(MixtureError::ZeroNormRow { row: 0, .. })
    ));
}
