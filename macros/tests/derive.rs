//! trybuild cases for the derives: one compile-fail case per error kind (with its stderr
//! snapshot) and pass cases that also run and check `validate()`.

use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else if std::fs::read(e.path()).ok() != std::fs::read(&dest).ok() {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// trybuild compiles the cases in `<target>/tests/trybuild/<crate>/`, which is the
/// `CARGO_MANIFEST_DIR` the derive sees: put the fixture contracts there.
fn install_fixtures() {
    let exe = std::env::current_exe().unwrap();
    // <target>/debug/deps/derive-<hash>
    let target: PathBuf = exe.ancestors().nth(3).unwrap().to_path_buf();
    let project = target.join("tests").join("trybuild").join("trackc-macros");
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    for dir in ["contract", "bad_contract"] {
        copy_dir(&ui.join(dir), &project.join(dir));
    }
}

#[test]
fn ui() {
    install_fixtures();
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
