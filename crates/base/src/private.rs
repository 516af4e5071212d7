//! Files only their owner may read: the data folders hold private keys, session tokens and
//! passwords' hashes, so they are made `0700` and their databases `0600`, whatever the umask.
//! (On other systems than Unix the platform's defaults apply.)

use std::path::Path;

/// Creates `path` and any missing parents, the ones it creates readable by their owner only.
/// A folder that already exists is left as it is (it may be the user's own).
pub fn create_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Creates `path` as an empty file readable and writable by its owner only, unless it exists.
pub fn create_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_and_files_are_the_owners_alone_and_existing_ones_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_dir(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700, "a created parent");
        assert_eq!(mode(&nested), 0o700, "the folder");
        let file = nested.join("hub.sqlite");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600, "the database file");
        std::fs::write(&file, b"kept").unwrap();
        create_file(&file).unwrap();
        assert_eq!(
            std::fs::read(&file).unwrap(),
            b"kept",
            "an existing file is not truncated"
        );
    }
}
