//! Behaviour of the whole K-means fit against slow, obviously correct
//! loops written here.

use super::*;
use crate::MixtureError;
use approx::assert_relative_eq;
use ndarray::{array, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// `per_blob` rows around each of `means`, standard deviation `sd`, rows
/// interleaved blob by blob.
fn blobs(means: &Array2<f64>, per_blob: usize, sd: f64, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, sd).unwrap();
    let (k, d) = means.dim();
    Array2::from_shape_fn((k * per_blob, d), |(i, j)| {
        means[[i % k, j]] + normal.sample(&mut rng)
    })
}

/// Elementwise `assert_relative_eq!` with a shape check.
#[track_caller]
fn assert_arrays_close(a: ArrayView2<f64>, b: ArrayView2<f64>, max_relative: f64) {
    assert_eq!(a.dim(), b.dim());
    for (x, y) in a.iter().zip(b) {
        assert_relative_eq!(*x, *y, max_relative = max_relative);
    }
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for j in 0..a.len() {
        s += (a[j] - b[j]) * (a[j] - b[j]);
    }
    s
}

/// Index of the nearest centre by direct differences (lowest index on ties).
fn naive_nearest(x: &[f64], centres: ArrayView2<f64>) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for c in 0..centres.nrows() {
        let d = sq_dist(x, centres.row(c).as_slice().unwrap());
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// One textbook Lloyd step: new centres and the inertia of the old ones.
fn naive_lloyd_step(x: ArrayView2<f64>, centres: ArrayView2<f64>) -> (Array2<f64>, f64) {
    let (k, d) = centres.dim();
    let mut sums = Array2::<f64>::zeros((k, d));
    let mut counts = vec![0.0; k];
    let mut inertia = 0.0;
    for row in x.rows() {
        let (c, dist) = naive_nearest(row.as_slice().unwrap(), centres);
        inertia += dist;
        counts[c] += 1.0;
        for j in 0..d {
            sums[[c, j]] += row[j];
        }
    }
    for c in 0..k {
        assert!(counts[c] > 0.0, "test data must leave no cluster empty");
        for j in 0..d {
            sums[[c, j]] /= counts[c];
        }
    }
    (sums, inertia)
}

fn four_blobs(per_blob: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let means = array![
        [0.0, 0.0, 0.0],
        [10.0, 0.0, 5.0],
        [0.0, 10.0, -5.0],
        [10.0, 10.0, 10.0]
    ];
    (blobs(&means, per_blob, 1.0, seed), means)
}

#[test]
fn one_lloyd_step_matches_the_textbook_step() {
    let (x, _) = four_blobs(300, 1);
    // Start away from the blob means, with an offset so centring matters.
    let x = x + 1000.0;
    let start = x.select(Axis(0), &[0, 5, 10, 15]);
    let (expected, expected_inertia) = naive_lloyd_step(x.view(), start.view());
    let mut lloyd = Lloyd::new(x.view(), start.view(), Distance::SquaredEuclidean).unwrap();
    let step = lloyd.step().unwrap();
    // Centres are means of ~300 rows near 1000: round-off is ~1e-13 relative.
    assert_arrays_close(lloyd.centroids().view(), expected.view(), 1e-12);
    assert_relative_eq!(step.inertia, expected_inertia, max_relative = 1e-9);
    assert_eq!(step.moved, 4);
}

#[test]
fn given_centres_and_one_iteration_match_the_textbook_step() {
    let (x, _) = four_blobs(100, 2);
    let start = x.select(Axis(0), &[3, 6, 9, 12]);
    let (expected, _) = naive_lloyd_step(x.view(), start.view());
    let model = KMeans::params(4)
        .init(Init::Given(start))
        .max_iter(1)
        .fit(x.view())
        .unwrap();
    assert_arrays_close(model.centroids(), expected.view(), 1e-12);
    assert_eq!(model.n_iter(), 1);
}

#[test]
fn inertia_is_the_sum_of_squared_distances_to_the_nearest_centre() {
    let (x, _) = four_blobs(200, 3);
    let model = KMeans::params(4).seed(3).fit(x.view()).unwrap();
    let mut naive = 0.0;
    for row in x.rows() {
        naive += naive_nearest(row.as_slice().unwrap(), model.centroids()).1;
    }
    assert_relative_eq!(model.inertia(), naive, max_relative = 1e-10);
    assert_relative_eq!(model.score(x.view()).unwrap(), naive, max_relative = 1e-10);
}

#[test]
fn recovers_well_separated_blobs() {
    let (x, means) = four_blobs(250, 4);
    let model = KMeans::params(4).seed(11).fit(x.view()).unwrap();
    assert!(model.converged());
    for mean in means.rows() {
        let (c, dist) = naive_nearest(mean.as_slice().unwrap(), model.centroids());
        // The mean of 250 rows of unit variance per feature is within ~0.3 of the truth.
        assert!(dist < 0.1, "centre {c} is {dist} from {mean}");
    }
    let labels = model.predict(x.view()).unwrap();
    for i in 0..x.nrows() {
        assert_eq!(labels[i], labels[i % 4], "row {i}");
    }
}

#[test]
fn kmeans_plus_plus_picks_data_rows_and_is_deterministic_per_seed() {
    let (x, _) = four_blobs(50, 5);
    let params = KMeans::params(4).max_iter(0);
    let a = params.clone().seed(9).fit(x.view()).unwrap();
    let b = params.clone().seed(9).fit(x.view()).unwrap();
    let c = params.seed(10).fit(x.view()).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.centroids(), c.centroids());
    assert_eq!(a.n_iter(), 0);
    for centre in a.centroids().rows() {
        let (_, dist) = naive_nearest(centre.as_slice().unwrap(), x.view());
        // Only the round trip through the centred data separates them.
        assert!(dist < 1e-24, "centre {centre} is not a data row");
    }
}

#[test]
fn transform_agrees_with_predict_and_with_direct_distances() {
    let (x, _) = four_blobs(60, 6);
    let model = KMeans::params(4).seed(1).fit(x.view()).unwrap();
    let dists = model.transform(x.view()).unwrap();
    let labels = model.predict(x.view()).unwrap();
    for (i, row) in x.rows().into_iter().enumerate() {
        let min = dists.row(i).iter().cloned().fold(f64::INFINITY, f64::min);
        assert_eq!(dists[[i, labels[i]]], min);
        for c in 0..4 {
            let direct = sq_dist(
                row.as_slice().unwrap(),
                model.centroids().row(c).as_slice().unwrap(),
            );
            assert!((dists[[i, c]] - direct).abs() <= 1e-9 * direct.max(1.0));
        }
    }
}

#[test]
fn same_model_for_one_and_three_threads() {
    let means = Array2::from_shape_fn((6, 5), |(c, j)| ((c * 7 + j * 3) % 11) as f64);
    let x = blobs(&means, 4000, 2.0, 7);
    let weights = ndarray::Array1::from_shape_fn(x.nrows(), |i| (i % 3) as f64 * 0.5);
    let settings = [
        KMeans::params(6).n_init(2).seed(3),
        KMeans::params(6).distance(Distance::Cosine).seed(4),
        KMeans::params(6)
            .seed(5)
            .max_iter(5)
            .algorithm(Algorithm::MiniBatch {
                batch_size: 5000,
                steps_per_iteration: 2,
            }),
    ];
    for params in settings {
        let fit = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    (
                        params.fit(x.view()).unwrap(),
                        params.fit_weighted(x.view(), weights.view()).unwrap(),
                    )
                })
        };
        let (one, three) = (fit(1), fit(3));
        assert!(one.0.n_iter() > 1);
        // Bitwise: PartialEq on f64 arrays compares exact values.
        assert_eq!(one, three, "{params:?}");
    }
}

#[test]
fn empty_clusters_get_finite_centres() {
    // Two far groups; three given centres, one far from everything.
    let x = array![
        [0.0, 0.0],
        [0.0, 1.0],
        [10.0, 0.0],
        [10.0, 1.0],
        [10.0, 3.0]
    ];
    let start = array![[0.0, 0.5], [10.0, 1.0], [1000.0, 1000.0]];
    let model = KMeans::params(3)
        .init(Init::Given(start))
        .fit(x.view())
        .unwrap();
    assert!(model.centroids().iter().all(|v| v.is_finite()));
    // The empty cluster took the row farthest from its centre, (10, 3).
    let labels = model.predict(x.view()).unwrap();
    let mut sizes = [0; 3];
    for &l in &labels {
        sizes[l] += 1;
    }
    assert!(sizes.iter().all(|&s| s > 0), "sizes {sizes:?}");
    assert_eq!(labels[4], 2);
}

#[test]
fn duplicated_rows_give_finite_centres() {
    let x = Array2::from_elem((6, 2), 3.0);
    let model = KMeans::params(3).seed(2).fit(x.view()).unwrap();
    assert!(model.centroids().iter().all(|v| v.is_finite()));
    assert_eq!(model.inertia(), 0.0);
}

#[test]
fn cosine_ignores_row_lengths() {
    let x = array![
        [1.0, 0.1],
        [1.0, -0.1],
        [0.1, 1.0],
        [-0.1, 1.0],
        [2.0, 0.0],
        [0.0, 3.0]
    ];
    let scaled = array![[10.0], [0.5], [3.0], [7.0], [0.01], [100.0]] * &x;
    let params = KMeans::params(2).distance(Distance::Cosine).seed(4);
    let a = params.fit(x.view()).unwrap();
    let b = params.fit(scaled.view()).unwrap();
    assert_eq!(
        a.predict(x.view()).unwrap(),
        b.predict(scaled.view()).unwrap()
    );
    assert_eq!(
        a.predict(x.view()).unwrap(),
        a.predict(scaled.view()).unwrap()
    );
    assert_arrays_close(a.centroids(), b.centroids(), 1e-12);
    for c in a.centroids().rows() {
        assert_relative_eq!(c.dot(&c), 1.0, max_relative = 1e-12);
    }
    // 1 - cos against a direct evaluation.
    let t = a.transform(scaled.view()).unwrap();
    for (i, row) in scaled.rows().into_iter().enumerate() {
        for (c, centre) in a.centroids().rows().into_iter().enumerate() {
            let cos = row.dot(&centre) / (row.dot(&row).sqrt() * centre.dot(&centre).sqrt());
            assert!((t[[i, c]] - (1.0 - cos)).abs() < 1e-12);
        }
    }
    assert!(matches!(
        params.fit(array![[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]].view()),
        Err(MixtureError::ZeroNormRow {
            what: "data",
            row: 1
        })
    ));
}

#[test]
fn mini_batch_comes_close_to_lloyd() {
    let (x, _) = four_blobs(500, 8);
    let lloyd = KMeans::params(4).seed(5).fit(x.view()).unwrap();
    let mini = KMeans::params(4)
        .seed(5)
        .algorithm(Algorithm::MiniBatch {
            batch_size: 100,
            steps_per_iteration: 5,
        })
        .max_iter(40)
        .fit(x.view())
        .unwrap();
    assert!(
        mini.inertia() <= 1.02 * lloyd.inertia(),
        "{} vs {}",
        mini.inertia(),
        lloyd.inertia()
    );
}

#[test]
fn weights_act_as_repeated_rows() {
    let x = array![[0.0], [1.0], [2.0], [10.0], [11.0]];
    let repeated = array![[0.0], [1.0], [1.0], [1.0], [2.0], [10.0], [11.0], [11.0]];
    let start = array![[0.0], [11.0]];
    let params = KMeans::params(2).init(Init::Given(start));
    let weighted = params
        .fit_weighted(x.view(), array![1.0, 3.0, 1.0, 1.0, 2.0].view())
        .unwrap();
    let plain = params.fit(repeated.view()).unwrap();
    assert_arrays_close(weighted.centroids(), plain.centroids(), 1e-12);
    assert_relative_eq!(weighted.inertia(), plain.inertia(), max_relative = 1e-12);
}

#[test]
fn bad_input_gives_typed_errors() {
    let x = array![[1.0, 2.0], [3.0, 4.0]];
    assert!(matches!(
        KMeans::params(3).fit(x.view()),
        Err(MixtureError::TooFewSamples {
            n_samples: 2,
            n_clusters: 3
        })
    ));
    assert!(matches!(
        KMeans::params(1).fit(array![[1.0], [f64::NAN]].view()),
        Err(MixtureError::NonFiniteData {
            row: 1,
            column: 0,
            ..
        })
    ));
    let model = KMeans::params(1).fit(x.view()).unwrap();
    assert!(matches!(
        model.predict(array![[1.0, 2.0, 3.0]].view()),
        Err(MixtureError::DimensionMismatch {
            expected: 2,
            got: 3
        })
    ));
    assert!(matches!(
        KMeans::params(2)
            .init(Init::Given(Array2::zeros((2, 3))))
            .fit(x.view()),
        Err(MixtureError::CentresShape {
            cols: 2,
            got_cols: 3,
            ..
        })
    ));
    assert!(matches!(
        KMeans::params(2).fit_weighted(x.view(), array![1.0].view()),
        Err(MixtureError::SampleWeightsLength {
            expected: 2,
            got: 1
        })
    ));
    assert!(matches!(
        KMeans::params(1).fit_weighted(x.view(), array![1.0, -1.0].view()),
        Err(MixtureError::InvalidSampleWeight { index: 1, .. })
    ));
    assert!(matches!(
        KMeans::params(1).fit(array![[0.0], [1e300]].view()),
        Err(MixtureError::DataScale { .. })
    ));
    assert!(matches!(
        KMeans::params(2).fit_weighted(x.view(), array![1.0, 0.0].view()),
        Err(MixtureError::TooFewSamples { n_samples: 1, .. })
    ));
}

/// The numeric columns of a CSV file in the repository's `data/` folder.
fn read_csv(name: &str, columns: usize) -> Array2<f64> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let values: Vec<f64> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .flat_map(|l| {
            l.split(',')
                .take(columns)
                .map(|v| v.trim().parse::<f64>().unwrap())
        })
        .collect();
    Array2::from_shape_vec((values.len() / columns, columns), values).unwrap()
}

#[test]
fn iris_gives_the_published_three_cluster_solution() {
    // Published K-means solution of the iris measurements with k = 3 (R's
    // `kmeans(iris[, 1:4], 3)`, the usual optimum): sizes 50, 62, 38 and
    // these centres, printed to 6-7 digits; within-cluster sum of squares 78.85144.
    let x = read_csv("iris.csv", 4);
    assert_eq!(x.dim(), (150, 4));
    let model = KMeans::params(3).n_init(10).seed(0).fit(x.view()).unwrap();
    let published = array![
        [5.006, 3.428, 1.462, 0.246],
        [5.901613, 2.748387, 4.393548, 1.433871],
        [6.85, 3.073684, 5.742105, 2.071053]
    ];
    for centre in published.rows() {
        let (c, dist) = naive_nearest(centre.as_slice().unwrap(), model.centroids());
        assert!(
            dist < 1e-11,
            "no centre near {centre} (nearest {c} at {dist})"
        );
    }
    assert_relative_eq!(model.inertia(), 78.85144, max_relative = 1e-6);
    let labels = model.predict(x.view()).unwrap();
    let mut sizes = [0; 3];
    for &l in &labels {
        sizes[l] += 1;
    }
    sizes.sort();
    assert_eq!(sizes, [38, 50, 62]);
}

#[test]
fn old_faithful_matches_textbook_lloyd_to_convergence() {
    let x = read_csv("faithful.csv", 2);
    assert_eq!(x.dim(), (272, 2));
    let start = KMeans::params(2).seed(1).max_iter(0).fit(x.view()).unwrap();
    let mut centres = start.centroids().to_owned();
    for _ in 0..100 {
        centres = naive_lloyd_step(x.view(), centres.view()).0;
    }
    let model = KMeans::params(2)
        .init(Init::Given(start.centroids().to_owned()))
        .tol(0.0)
        .fit(x.view())
        .unwrap();
    assert!(model.converged());
    assert_arrays_close(model.centroids(), centres.view(), 1e-12);
    // Short and long eruptions, with the long ones also waiting longer.
    let (short, long) = if centres[[0, 0]] < centres[[1, 0]] {
        (0, 1)
    } else {
        (1, 0)
    };
    assert!(centres[[short, 0]] < 3.0 && centres[[long, 0]] > 4.0);
    assert!(centres[[short, 1]] < centres[[long, 1]]);
}

#[test]
fn restarts_never_give_a_worse_inertia() {
    let x = read_csv("iris.csv", 4);
    for seed in 0..5 {
        let one = KMeans::params(5).seed(seed).fit(x.view()).unwrap();
        let many = KMeans::params(5)
            .seed(seed)
            .n_init(4)
            .fit(x.view())
            .unwrap();
        assert!(many.inertia() <= one.inertia(), "seed {seed}");
    }
}

#[test]
fn random_init_picks_distinct_rows_of_positive_weight() {
    let x = Array2::from_shape_fn((12, 2), |(i, j)| (i * 3 + j) as f64);
    let mut weights = ndarray::Array1::ones(12);
    weights[4] = 0.0;
    weights[7] = 0.0;
    for seed in 0..10 {
        let model = KMeans::params(10)
            .init(Init::Random)
            .max_iter(0)
            .seed(seed)
            .fit_weighted(x.view(), weights.view())
            .unwrap();
        let mut rows: Vec<usize> = model
            .centroids()
            .rows()
            .into_iter()
            .map(|c| {
                let (i, dist) = naive_nearest(c.as_slice().unwrap(), x.view());
                assert!(dist < 1e-20);
                i
            })
            .collect();
        rows.sort();
        rows.dedup();
        assert_eq!(rows.len(), 10, "seed {seed}: {rows:?}");
        assert!(!rows.contains(&4) && !rows.contains(&7));
    }
}

#[test]
fn non_standard_layouts_give_the_same_model() {
    let (x, _) = four_blobs(50, 9);
    let fortran = x.t().as_standard_layout().into_owned().reversed_axes();
    assert!(!fortran.is_standard_layout());
    let params = KMeans::params(4).seed(2);
    assert_eq!(
        params.fit(x.view()).unwrap(),
        params.fit(fortran.view()).unwrap()
    );
}

#[test]
fn mini_batch_stops_by_tolerance_or_max_iter() {
    let (x, _) = four_blobs(200, 10);
    let mini = |tol| {
        KMeans::params(4)
            .seed(3)
            .algorithm(Algorithm::MiniBatch {
                batch_size: 64,
                steps_per_iteration: 3,
            })
            .tol(tol)
            .max_iter(25)
            .fit(x.view())
            .unwrap()
    };
    let exhaustive = mini(0.0);
    assert_eq!((exhaustive.n_iter(), exhaustive.converged()), (25, false));
    let loose = mini(1e-2);
    assert!(loose.converged() && loose.n_iter() < 25);
    assert!(loose.centroids().iter().all(|v| v.is_finite()));
    // Same seed, same model.
    assert_eq!(mini(1e-2), loose);
}

#[test]
fn lloyd_rejects_centres_that_do_not_fit_the_data() {
    let x = array![[1.0, 2.0], [3.0, 4.0]];
    assert!(matches!(
        Lloyd::new(x.view(), array![[1.0]].view(), Distance::SquaredEuclidean),
        Err(MixtureError::CentresShape {
            cols: 2,
            got_cols: 1,
            ..
        })
    ));
    assert!(matches!(
        Lloyd::new(
            x.view(),
            array![[1.0, f64::NAN]].view(),
            Distance::SquaredEuclidean
        ),
        Err(MixtureError::NonFiniteCentre {
            row: 0,
            column: 1,
            ..
        })
    ));
    assert!(matches!(
        KMeans::params(1)
            .distance(Distance::Cosine)
            .init(Init::Given(array![[0.0, 0.0]]))
            .fit(x.view()),
        Err(MixtureError::ZeroNormRow {
            what: "centre",
            row: 0
        })
    ));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn matrix(rows: usize, cols: usize) -> impl Strategy<Value = Array2<f64>> {
        proptest::collection::vec(-10.0..10.0f64, rows * cols)
            .prop_map(move |v| Array2::from_shape_vec((rows, cols), v).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Every predicted label is a nearest centre by direct differences,
        /// and transform's minimum sits at the label.
        #[test]
        fn predict_picks_a_nearest_centre(
            (x, c) in (1usize..30, 1usize..12, 1usize..20)
                .prop_flat_map(|(n, d, k)| (matrix(n, d), matrix(k, d)))
        ) {
            let model = KMeans::params(c.nrows())
                .init(Init::Given(c.clone()))
                .max_iter(0)
                .fit(if x.nrows() >= c.nrows() { x.view() } else { c.view() })
                .unwrap();
            let labels = model.predict(x.view()).unwrap();
            let dists = model.transform(x.view()).unwrap();
            for (i, row) in x.rows().into_iter().enumerate() {
                let (_, best) = naive_nearest(row.as_slice().unwrap(), model.centroids());
                let picked = sq_dist(
                    row.as_slice().unwrap(),
                    model.centroids().row(labels[i]).as_slice().unwrap(),
                );
                // The shortcut loses ~1e-15 of ||x||^2 + ||c||^2 (at most 2 * 1200 here).
                prop_assert!(picked <= best + 1e-10);
                let min = dists.row(i).iter().cloned().fold(f64::INFINITY, f64::min);
                prop_assert_eq!(dists[[i, labels[i]]], min);
            }
        }
    }
}

/// Rows served from an array, as a database would serve them.
struct Served<T>(Array2<T>);

impl<T: crate::Element> crate::RowSource<T> for Served<T> {
    fn shape(&self) -> (usize, usize) {
        self.0.dim()
    }
    fn read_rows(
        &self,
        start: usize,
        mut out: ndarray::ArrayViewMut2<'_, T>,
    ) -> Result<(), String> {
        out.assign(&self.0.slice(ndarray::s![start..start + out.nrows(), ..]));
        Ok(())
    }
}

#[test]
fn a_row_source_gives_the_model_of_the_array_it_serves() {
    // More rows than the k-means++ sample and several chunks and windows.
    let (x, _) = four_blobs(5000, 3);
    let x = x + 50.0;
    let served = Served(x.clone());
    let source: &dyn crate::RowSource<f64> = &served;
    for params in [
        KMeans::params(4).seed(2),
        KMeans::params(4).init(Init::Random).n_init(2).seed(3),
    ] {
        let from_array = params.fit(x.view()).unwrap();
        let from_source = params.fit(source).unwrap();
        assert_eq!(from_array, from_source);
        assert_eq!(
            from_array.predict(source).unwrap(),
            from_array.predict(&x).unwrap()
        );
    }
}

#[test]
fn f32_data_gives_the_f64_model_to_f32_precision() {
    let (x, _) = four_blobs(4000, 5);
    let x = x + 100.0;
    let x32 = x.mapv(|v| v as f32);
    // The same values in both types: the f64 fit sees the rounded numbers.
    let x64 = x32.mapv(f64::from);
    let params = KMeans::params(4).seed(9).n_init(2);
    let m64 = params.fit(x64.view()).unwrap();
    let m32 = params.fit(x32.view()).unwrap();
    let served = Served(x32.clone());
    let source: &dyn crate::RowSource<f32> = &served;
    assert_eq!(params.fit(source).unwrap(), m32);
    assert_eq!(
        m32.predict(x32.view()).unwrap(),
        m64.predict(x64.view()).unwrap()
    );
    // Centres are means of 4000 rows near 100 summed in f64 from values
    // centred in f32: within a few f32 ulps of 100.
    assert_arrays_close(m32.centroids(), m64.centroids(), 1e-6);
    assert_relative_eq!(m32.inertia(), m64.inertia(), max_relative = 1e-4);
}

/// The model of K-means over 1 to 4 simulated processes, each holding its
/// share of rows (17 000 rows: more than the k-means++ sample, in tasks of
/// 512 that do not divide evenly), on every process, for `f64` and `f32`
/// data: centres, inertia and iterations equal bit for bit to one
/// process's. The given start leaves a cluster empty, so the refill must
/// find the farthest rows of the whole job (each process's own farthest
/// would differ with the shares); two steps keep that row's mark on the
/// centres.
#[test]
fn every_process_count_fits_the_one_process_model_bitwise() {
    use crate::distributed::{share, simulated, Communicator, Shard};
    use crate::Data;
    let means = array![[0.0, 0.0, 0.0], [6.0, 0.0, 1.0], [0.0, 7.0, -2.0]];
    let x = blobs(&means, 17_000 / 3 + 1, 1.0, 11);
    let x32 = x.mapv(|v| v as f32);
    let far_start = array![[0.0, 0.0, 0.0], [6.0, 0.0, 1.0], [1e3, 1e3, 1e3]];
    let task_rows = 512;
    for init in [
        Init::Random,
        Init::KMeansPlusPlus {
            extra_candidates: None,
        },
        Init::Given(far_start),
    ] {
        // Two steps from the given start: the refilled centre shows in the result.
        let max_iter = if let Init::Given(_) = init { 2 } else { 300 };
        let params = KMeans::params(3)
            .init(init.clone())
            .n_init(2)
            .max_iter(max_iter)
            .seed(5)
            .check()
            .unwrap();
        for single in [false, true] {
            let n = x.nrows();
            let fit_on = |size: usize| {
                let job = simulated::Job::new(size);
                job.run(|comm| {
                    let rows = share(n, task_rows, comm.rank(), size);
                    let part: Data = match single {
                        false => x.slice(ndarray::s![rows.clone(), ..]).into(),
                        true => x32.slice(ndarray::s![rows.clone(), ..]).into(),
                    };
                    let shard = Shard::new(part, rows.start, n, comm);
                    params.fit_shard_in_tasks(shard, task_rows).unwrap()
                })
            };
            let alone = fit_on(1).pop().unwrap();
            assert!(alone.n_iter() > 1, "{init:?}");
            for size in 2..=4 {
                for model in fit_on(size) {
                    let bits = |m: &KMeansModel| -> Vec<u64> {
                        m.centroids().iter().map(|v| v.to_bits()).collect()
                    };
                    assert_eq!(bits(&model), bits(&alone), "{init:?} {size} processes");
                    assert_eq!(model.inertia().to_bits(), alone.inertia().to_bits());
                    assert_eq!(model.n_iter(), alone.n_iter());
                    assert_eq!(model.converged(), alone.converged());
                }
            }
        }
    }
}

/// Mini-batch K-means over several processes is refused with a typed error.
#[test]
fn mini_batches_are_refused_on_several_processes() {
    use crate::distributed::{share, simulated, Communicator, Shard};
    let x = blobs(&array![[0.0, 0.0], [5.0, 5.0]], 100, 1.0, 2);
    let params = KMeans::params(2)
        .algorithm(Algorithm::MiniBatch {
            batch_size: 50,
            steps_per_iteration: 1,
        })
        .check()
        .unwrap();
    for r in simulated::Job::new(2).run(|comm| {
        let rows = share(200, 4096, comm.rank(), 2);
        params.fit_shard(Shard::new(
            x.slice(ndarray::s![rows.clone(), ..]),
            rows.start,
            200,
            comm,
        ))
    }) {
        assert!(
            matches!(r, Err(MixtureError::NotDistributed { .. })),
            "{r:?}"
        );
    }
}
