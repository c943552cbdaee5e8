#!/usr/bin/env bash
# The MPI program against the single-process one, under real mpirun:
# for P = 1, 2, 3 ranks on rows that do not divide evenly among them, EM
# (four covariance types, every initialisation), L-BFGS and K-means write a
# model file byte for byte equal to the one-process fit; plus the failure cases.
#
# Run: cargo build --release --features mpi --bin admix (CI runs the debug build)
#      bash scripts/mpi_tests.sh [target/release/admix]
set -uo pipefail
cd "$(dirname "$0")/.."
admix="$(realpath "${1:-target/release/admix}")"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mpirun=(mpirun --allow-run-as-root --oversubscribe)
passed=0
failed=0
check() { # name, then a command that must succeed
    local name=$1
    shift
    if "$@"; then
        echo "ok - $name"
        passed=$((passed + 1))
    else
        echo "FAILED - $name"
        failed=$((failed + 1))
    fi
}

# 10007 rows in tasks of 500: 21 tasks, shared 21 / 11+10 / 7+7+7 (the last short).
python3 scripts/npy_blobs.py "$dir/x.npy" 10007 3
python3 scripts/npy_blobs.py "$dir/nan.npy" 10007 3 --nan-at 9000
fit=(fit "$dir/x.npy" -k 3 --task-rows 500 --max-iter 25 --tol 0 --n-init 2 --seed 4)

same_model() { # covariance, init, ranks
    local ref="$dir/ref-$1-$2.json" out="$dir/p$3-$1-$2.json"
    [ -f "$ref" ] || "$admix" "${fit[@]}" --covariance "$1" --init "$2" --threads 2 --out "$ref" >/dev/null
    "${mpirun[@]}" -n "$3" "$admix" "${fit[@]}" --covariance "$1" --init "$2" --threads 1 \
        --out "$out" >/dev/null && cmp -s "$ref" "$out"
}
for cov in full tied diag spherical; do
    for ranks in 1 2 3; do
        check "EM $cov random_from_data, $ranks ranks: model file equal to one process" \
            same_model "$cov" random_from_data "$ranks"
    done
done
for ranks in 2 3; do
    check "EM full random, $ranks ranks: model file equal to one process" \
        same_model full random "$ranks"
done

same_lbfgs() { # ranks
    local args=(fit "$dir/x.npy" -k 3 --task-rows 500 --max-iter 15 --seed 4 --covariance full
        --init random_from_data --method lbfgs)
    [ -f "$dir/lbfgs.json" ] || "$admix" "${args[@]}" --threads 2 --out "$dir/lbfgs.json" >/dev/null
    "${mpirun[@]}" -n "$1" "$admix" "${args[@]}" --threads 1 --out "$dir/lbfgs$1.json" >/dev/null &&
        cmp -s "$dir/lbfgs.json" "$dir/lbfgs$1.json"
}
for ranks in 1 2 3; do
    check "L-BFGS full, $ranks ranks: model file equal to one process" same_lbfgs "$ranks"
done

more_ranks_than_tasks() {
    # 10007 rows in tasks of 4096: 3 tasks for 4 ranks, the last rank holds no rows.
    local args=(fit "$dir/x.npy" -k 3 --task-rows 4096 --max-iter 10 --tol 0 --init random_from_data)
    "$admix" "${args[@]}" --out "$dir/few.json" >/dev/null &&
        "${mpirun[@]}" -n 4 "$admix" "${args[@]}" --threads 1 --out "$dir/few4.json" >/dev/null &&
        cmp -s "$dir/few.json" "$dir/few4.json"
}
check "4 ranks for 3 tasks (one rank without rows): model file equal to one process" \
    more_ranks_than_tasks

only_rank0_prints() {
    local out
    out="$("${mpirun[@]}" -n 3 "$admix" "${fit[@]}" --init random_from_data 2>/dev/null)"
    [ "$(grep -c 'Gaussian mixture fitted' <<<"$out")" = 1 ]
}
check "rank 0 alone prints the summary" only_rank0_prints

score_agrees() {
    local a b
    "$admix" "${fit[@]}" --init random_from_data --out "$dir/m.json" >/dev/null
    a="$("${mpirun[@]}" -n 2 "$admix" score "$dir/m.json" "$dir/x.npy" --json)"
    b="$("${mpirun[@]}" -n 3 "$admix" score "$dir/m.json" "$dir/x.npy" --json)"
    [ -n "$a" ] && [ "$a" = "$b" ] && grep -q '"n_samples":10007' <<<"$a"
}
check "score over 2 and 3 ranks: the same figures, all rows counted" score_agrees

select_agrees() {
    local args=(select "$dir/x.npy" --k 1..3 --covariance all --init random_from_data
        --task-rows 500 --max-iter 10 --json) a b
    a="$("${mpirun[@]}" -n 2 "$admix" "${args[@]}")"
    b="$("${mpirun[@]}" -n 3 "$admix" "${args[@]}")"
    [ -n "$a" ] && [ "$a" = "$b" ] && [ "$(grep -c '"best": true' <<<"$a")" = 1 ]
}
check "select over 2 and 3 ranks: the same table" select_agrees

fails_clearly() { # expected message, then the job's arguments
    local want=$1 err status
    shift
    err="$(timeout 120 "${mpirun[@]}" "$@" 2>&1 >/dev/null)"
    status=$?
    # Non-zero, not the timeout (124: a hang), and one message from rank 0.
    [ "$status" -ne 0 ] && [ "$status" -ne 124 ] &&
        [ "$(grep -c 'admix: error' <<<"$err")" = 1 ] && grep -q "$want" <<<"$err"
}
check "a NaN in the last rank's rows: one message naming the global row" \
    fails_clearly "row 9000, column 2" -n 3 "$admix" fit "$dir/nan.npy" -k 3 --task-rows 500 --init random_from_data
check "a missing data file: one message, non-zero exit" \
    fails_clearly "no-such-file.npy" -n 3 "$admix" fit "$dir/no-such-file.npy" -k 3

# ---- K-means (Lloyd, k-means++, EM's K-means start) over ranks ----
# 10007 rows in K-means's tasks of 4096: 3 tasks, shared 3 / 2+1 / 1+1+1.
kmeans=(kmeans "$dir/x.npy" -k 3 --n-init 2 --seed 4)

same_kmeans() { # init, ranks
    local ref="$dir/km-ref-$1.json" out="$dir/km-p$2-$1.json"
    # fit_seconds is a wall time: every other line must be equal.
    [ -f "$ref" ] || "$admix" "${kmeans[@]}" --init "$1" --threads 2 --out "$ref" >/dev/null
    "${mpirun[@]}" -n "$2" "$admix" "${kmeans[@]}" --init "$1" --threads 1 --out "$out" \
        >/dev/null && cmp -s <(grep -v fit_seconds "$ref") <(grep -v fit_seconds "$out")
}
for init in kmeans++ random; do
    for ranks in 1 2 3; do
        check "kmeans --init $init, $ranks ranks: output file equal to one process" \
            same_kmeans "$init" "$ranks"
    done
done
for init in kmeans kmeans++; do
    for ranks in 1 2 3; do
        check "EM full --init $init, $ranks ranks: model file equal to one process" \
            same_model full "$init" "$ranks"
    done
done
check "mini-batch kmeans over ranks: refused, saying what to use" \
    fails_clearly "Lloyd" -n 2 "$admix" kmeans "$dir/x.npy" -k 3 --mini-batch 100
# ---- end of K-means ----

killed_rank_ends_job() {
    # Rank 1 is killed a second into a long fit: the job must end, non-zero.
    timeout 120 "${mpirun[@]}" -n 2 bash -c '
        if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then (sleep 1; kill -9 $$) & fi
        exec "$0" "$@"' "$admix" fit "$dir/x.npy" -k 3 --init random --max-iter 100000 --tol 0 \
        >/dev/null 2>&1
    local status=$?
    [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
}
check "a rank killed mid-run ends the job with a non-zero exit" killed_rank_ends_job

# ---- predict, compare, shards ----
# 40007 rows: ranks hold several predict blocks (16384 rows) of their share.
python3 scripts/npy_blobs.py "$dir/big.npy" 40007 3
"$admix" "${fit[@]}" --init random_from_data --out "$dir/pm.json" >/dev/null
same_predictions() { # ranks, then predict's options
    local ranks=$1 tag="${*// /}"
    shift
    "$admix" predict "$dir/pm.json" "$dir/big.npy" "$@" >"$dir/pred$tag.ref" &&
        "${mpirun[@]}" -n "$ranks" "$admix" predict "$dir/pm.json" "$dir/big.npy" "$@" --threads 1 \
            >"$dir/pred$tag.out" && [ -s "$dir/pred$tag.out" ] && cmp -s "$dir/pred$tag.ref" "$dir/pred$tag.out"
}
for ranks in 1 2 3; do
    for opts in "" "--json" "--proba" "--proba --json"; do
        # shellcheck disable=SC2086
        check "predict ${opts:-(labels, CSV)}, $ranks ranks: output equal to one process" \
            same_predictions "$ranks" $opts
    done
done
check "predict: a NaN in the last rank's rows: one message naming the global row" \
    fails_clearly "row 9000, column 2" -n 3 "$admix" predict "$dir/pm.json" "$dir/nan.npy"

same_comparison() { # ranks
    # The figures without the timings (seconds).
    local args=(compare "$dir/x.npy" -k 3 --task-rows 500 --max-iter 15 --seed 4 --init random_from_data --json)
    [ -f "$dir/cmp.ref" ] || "$admix" "${args[@]}" --threads 2 | grep -v seconds >"$dir/cmp.ref"
    "${mpirun[@]}" -n "$1" "$admix" "${args[@]}" --threads 1 | grep -v seconds >"$dir/cmp$1.out" &&
        [ -s "$dir/cmp$1.out" ] && cmp -s "$dir/cmp.ref" "$dir/cmp$1.out"
}
for ranks in 1 2 3; do
    check "compare (EM and L-BFGS), $ranks ranks: figures equal to one process" same_comparison "$ranks"
done

# x.npy cut into three shard files (3000, 4100, 2907 rows): ranks' shares
# span the files' boundaries.
python3 scripts/npy_split.py "$dir/x.npy" "$dir/part" 3000 4100 2907
python3 scripts/npy_blobs.py "$dir/two-columns.npy" 100 2
same_from_shards() { # ranks, then how DATA names the shards
    local ranks=$1 data=$2
    [ -f "$dir/ref-full-random_from_data.json" ] || "$admix" "${fit[@]}" --covariance full \
        --init random_from_data --threads 2 --out "$dir/ref-full-random_from_data.json" >/dev/null
    "${mpirun[@]}" -n "$ranks" "$admix" fit "$data" "${fit[@]:2}" --covariance full --init random_from_data \
        --threads 1 --out "$dir/shards$ranks.json" >/dev/null &&
        cmp -s "$dir/ref-full-random_from_data.json" "$dir/shards$ranks.json"
}
for ranks in 1 2 3; do
    check "EM from the shard pattern part-*.npy, $ranks ranks: model equal to the whole file's" \
        same_from_shards "$ranks" "$dir/part-*.npy"
done
check "EM from a list of shards, 2 ranks: model equal to the whole file's" \
    same_from_shards 2 "$dir/part-0.npy,$dir/part-1.npy,$dir/part-2.npy"
shard_predictions() { # ranks
    "$admix" predict "$dir/pm.json" "$dir/x.npy" --json >"$dir/sp.ref" &&
        "${mpirun[@]}" -n "$1" "$admix" predict "$dir/pm.json" "$dir/part-*.npy" --json --threads 1 \
            >"$dir/sp$1.out" && cmp -s "$dir/sp.ref" "$dir/sp$1.out"
}
for ranks in 2 3; do
    check "predict from shards, $ranks ranks: output equal to the whole file's" shard_predictions "$ranks"
done
check "shards with different columns: one message, non-zero exit" \
    fails_clearly "same columns" -n 2 "$admix" fit "$dir/x.npy,$dir/two-columns.npy" -k 3 --init random_from_data

echo "mpi: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
