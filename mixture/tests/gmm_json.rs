//! Saving and loading mixtures as JSON.

mod common;

use admix_mixture::gmm::{GaussianMixture, GaussianMixtureModel};
use admix_mixture::MixtureError;
use common::*;

#[test]
fn round_trip_keeps_every_field() {
    let x = three_blobs(200, 3);
    for ctype in ALL_TYPES {
        let model = GaussianMixture::params(3)
            .covariance_type(ctype)
            .seed(2)
            .fit(x.view())
            .unwrap();
        let text = model.to_json();
        for field in [
            "covariance_type",
            "weights",
            "means",
            "covariances",
            "converged",
            "n_iter",
            "log_likelihood_trace",
            "lower_bound",
        ] {
            assert!(text.contains(&format!("\"{field}\"")), "{field}");
        }
        let back = GaussianMixtureModel::from_json(&text).unwrap();
        assert_eq!(back, model, "{ctype}");
    }
}

#[test]
fn truncated_or_wrong_files_are_typed_errors() {
    let x = three_blobs(100, 3);
    let model = GaussianMixture::params(2).fit(x.view()).unwrap();
    let text = model.to_json();
    let invalid = |t: &str| {
        matches!(
            GaussianMixtureModel::from_json(t),
            Err(MixtureError::InvalidModelFile { .. })
        )
    };
    assert!(invalid(&text[..text.len() / 2]));
    assert!(invalid(""));
    assert!(invalid(&text.replace("\"full\"", "\"banana\"")));
    // Spherical type with full covariances: wrong shape.
    assert!(invalid(&text.replace("\"full\"", "\"spherical\"")));
    // Ragged means.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut ragged = v.clone();
    ragged["means"][0].as_array_mut().unwrap().pop();
    assert!(invalid(&ragged.to_string()));
    // Three weights for two means.
    let mut extra = v.clone();
    extra["weights"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(0.0));
    assert!(matches!(
        GaussianMixtureModel::from_json(&extra.to_string()),
        Err(MixtureError::ShapeMismatch {
            what: "weights",
            ..
        })
    ));
    // Weights that do not sum to 1.
    let mut bad_w = v.clone();
    bad_w["weights"][0] = serde_json::json!(0.9);
    bad_w["weights"][1] = serde_json::json!(0.9);
    assert!(matches!(
        GaussianMixtureModel::from_json(&bad_w.to_string()),
        Err(MixtureError::InvalidWeights { .. })
    ));
    // Negative variance.
    let mut bad_c = v.clone();
    bad_c["covariances"][0][0][0] = serde_json::json!(-1.0);
    assert!(matches!(
        GaussianMixtureModel::from_json(&bad_c.to_string()),
        Err(MixtureError::NotPositiveDefinite { component: 0 })
    ));
    // Missing field, and a trace of the wrong length.
    let mut missing = v.clone();
    missing.as_object_mut().unwrap().remove("n_iter");
    assert!(invalid(&missing.to_string()));
    let mut short = v;
    short["log_likelihood_trace"]
        .as_array_mut()
        .unwrap()
        .clear();
    assert!(model.n_iter() == 0 || invalid(&short.to_string()));
}

/// Files written before the trace was named apart from the lower bound hold
/// the trace under "lower_bound": they load, with the trace and without a
/// lower bound; files now hold the final mean log-likelihood there.
#[test]
fn older_files_with_the_trace_as_lower_bound_still_load() {
    let x = three_blobs(150, 3);
    let model = GaussianMixture::params(3).seed(4).fit(x.view()).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&model.to_json()).unwrap();
    assert_eq!(v["lower_bound"].as_f64(), model.lower_bound());
    let trace = v["log_likelihood_trace"].clone();
    v.as_object_mut().unwrap().remove("log_likelihood_trace");
    v["lower_bound"] = trace;
    let old = GaussianMixtureModel::from_json(&v.to_string()).unwrap();
    assert_eq!(old.log_likelihood_trace(), model.log_likelihood_trace());
    assert_eq!(old.n_iter(), model.n_iter());
    assert_eq!(old.lower_bound(), None);
    assert_eq!(old.means(), model.means());
}
