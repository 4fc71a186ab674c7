//! The WAL file: exclusive lock, fsynced appends, truncation, atomic replacement.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::WalError;

/// An open, exclusively locked WAL file.
#[derive(Debug)]
pub(crate) struct WalFile {
    path: PathBuf,
    file: File,
    /// Bytes known to be durable: every acknowledged record ends at or before it.
    len: u64,
    /// An append failed and its partial bytes could not be cut off: refuse
    /// every later write rather than append after garbage.
    poisoned: bool,
}

/// Runs `r`, naming `op` and `path` in its error.
fn io<T>(r: io::Result<T>, op: &'static str, path: &Path) -> Result<T, WalError> {
    r.map_err(|source| WalError::Io {
        path: path.to_owned(),
        op,
        source,
    })
}

/// The directory entry of `path` made durable (a created or renamed file).
fn sync_dir(path: &Path) -> Result<(), WalError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    io(
        File::open(dir).and_then(|d| d.sync_all()),
        "fsync the directory of",
        path,
    )
}

/// Whether `file` is still the file `path` names: a compaction in another
/// process may have renamed a new file over it between our open and our lock.
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (file.metadata()?, fs::metadata(path)?);
    Ok(a.dev() == b.dev() && a.ino() == b.ino())
}

#[cfg(not(unix))]
fn still_named(_file: &File, _path: &Path) -> io::Result<bool> {
    Ok(true)
}

/// The sibling file a compaction writes before renaming it over `path`.
pub(crate) fn compaction_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".compact");
    PathBuf::from(name)
}

fn lock(file: &File, path: &Path) -> Result<(), WalError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(WalError::Locked {
            path: path.to_owned(),
        }),
        Err(TryLockError::Error(e)) => io(Err(e), "lock", path),
    }
}

impl WalFile {
    /// Opens (creating it empty if missing) and locks `path`; returns the
    /// file and its whole contents.
    pub(crate) fn open(path: &Path) -> Result<(WalFile, Vec<u8>), WalError> {
        for _ in 0..8 {
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path);
            let mut file = io(opened, "open", path)?;
            lock(&file, path)?;
            if !io(still_named(&file, path), "stat", path)? {
                continue; // replaced by a compaction: lock the new file instead
            }
            // We hold the lock, so a leftover compaction file is from a
            // writer that died before its rename: the WAL itself is intact.
            let stale = compaction_path(path);
            if stale.exists() {
                io(fs::remove_file(&stale), "remove", &stale)?;
            }
            let mut bytes = Vec::new();
            io(file.read_to_end(&mut bytes), "read", path)?;
            let wal = WalFile {
                path: path.to_owned(),
                len: bytes.len() as u64,
                file,
                poisoned: false,
            };
            return Ok((wal, bytes));
        }
        Err(WalError::Locked {
            path: path.to_owned(),
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn check(&self) -> Result<(), WalError> {
        if self.poisoned {
            return Err(WalError::Poisoned {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// Appends `bytes` and returns once they are on stable storage. On
    /// failure nothing is acknowledged and the file is cut back to its
    /// previous length.
    pub(crate) fn append(&mut self, bytes: &[u8]) -> Result<(), WalError> {
        self.check()?;
        let written = self
            .file
            .seek(SeekFrom::Start(self.len))
            .and_then(|_| self.file.write_all(bytes))
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            let cut = self
                .file
                .set_len(self.len)
                .and_then(|()| self.file.sync_data());
            self.poisoned = cut.is_err();
            return io(Err(e), "append to", &self.path);
        }
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Cuts the file to `len` bytes, durably (a torn tail found on recovery).
    pub(crate) fn truncate(&mut self, len: u64) -> Result<(), WalError> {
        self.check()?;
        let r = self.file.set_len(len).and_then(|()| self.file.sync_all());
        io(r, "truncate", &self.path)?;
        self.len = len;
        Ok(())
    }

    /// Replaces the whole file by `contents`, atomically: a locked sibling
    /// file is written and fsynced, renamed over the WAL, and the directory
    /// fsynced. A crash at any point leaves either the old or the new file.
    pub(crate) fn replace(&mut self, contents: &[u8]) -> Result<(), WalError> {
        self.check()?;
        let tmp = compaction_path(&self.path);
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp);
        let mut file = io(opened, "create", &tmp)?;
        lock(&file, &tmp)?;
        let written = file.write_all(contents).and_then(|()| file.sync_all());
        io(written, "write", &tmp)?;
        io(fs::rename(&tmp, &self.path), "rename over", &self.path)?;
        sync_dir(&self.path)?;
        // The new file is the WAL now, and it is locked: any process that
        // opened the old one fails `still_named` and retries.
        self.file = file;
        self.len = contents.len() as u64;
        Ok(())
    }

    /// Writes the first contents of a new (empty) WAL durably, directory
    /// entry included.
    pub(crate) fn initialise(&mut self, contents: &[u8]) -> Result<(), WalError> {
        self.truncate(0)?;
        self.append(contents)?;
        sync_dir(&self.path)
    }
}
