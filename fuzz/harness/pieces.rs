// Cutting an input as a socket might deliver it; `include!`d by the
// harnesses that feed input whole and in pieces.

/// Splits `data` at up to three points chosen by its last three bytes
/// (the end of a message is free to vary; its start is not).
fn pieces(data: &[u8]) -> Vec<&[u8]> {
    let n = data.len();
    let at = |back: usize| n.checked_sub(back).map_or(0, |i| data[i] as usize);
    let (a, b, c) = (at(1), at(2), at(3));
    let mut cuts = [0, (a * n) / 256, (b * n) / 256, (c * n) / 256, n];
    cuts.sort_unstable();
    cuts.windows(2).map(|w| &data[w[0]..w[1]]).collect()
}
