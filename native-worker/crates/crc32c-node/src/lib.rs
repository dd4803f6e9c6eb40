//! A Node-API module exporting one function, `crc32c(data: Uint8Array, initial?: number): number`:
//! the CRC32C (Castagnoli) of `data`, continuing from `initial` (a CRC returned earlier, 0 to start).
//!
//! The upload engine checksums every byte it sends (S3's `x-amz-checksum-crc32c`), so this is its
//! hottest loop; the `crc32c` crate uses the CPU's CRC32 instructions (SSE4.2, ARMv8) where present,
//! about 4x the portable module the engine falls back to (main/upload/crc32c.ts).
//!
//! The binding is written against the few stable Node-API C functions it needs (Node-API version 1,
//! available in every Node and Electron release) rather than a binding framework. It is built on
//! Unix only: on Windows a Node-API module must link an import library of the host, and the engine
//! uses its portable fallback there.
#![cfg(unix)]

use std::ffi::c_void;
use std::os::raw::{c_char, c_int};
use std::ptr;

type Env = *mut c_void;
type Value = *mut c_void;
type CallbackInfo = *mut c_void;
type Status = c_int;
type Callback = unsafe extern "C" fn(Env, CallbackInfo) -> Value;

const OK: Status = 0;
/// `napi_uint8_array` in `napi_typedarray_type` (Node's Buffer is a Uint8Array).
const UINT8_ARRAY: c_int = 1;

extern "C" {
    fn napi_get_cb_info(
        env: Env,
        info: CallbackInfo,
        argc: *mut usize,
        argv: *mut Value,
        this: *mut Value,
        data: *mut *mut c_void,
    ) -> Status;
    fn napi_is_typedarray(env: Env, value: Value, result: *mut bool) -> Status;
    fn napi_get_typedarray_info(
        env: Env,
        value: Value,
        kind: *mut c_int,
        length: *mut usize,
        data: *mut *mut c_void,
        arraybuffer: *mut Value,
        byte_offset: *mut usize,
    ) -> Status;
    fn napi_typeof(env: Env, value: Value, result: *mut c_int) -> Status;
    fn napi_get_value_uint32(env: Env, value: Value, result: *mut u32) -> Status;
    fn napi_create_uint32(env: Env, value: u32, result: *mut Value) -> Status;
    fn napi_create_function(
        env: Env,
        name: *const c_char,
        length: usize,
        cb: Callback,
        data: *mut c_void,
        result: *mut Value,
    ) -> Status;
    fn napi_set_named_property(
        env: Env,
        object: Value,
        name: *const c_char,
        value: Value,
    ) -> Status;
    fn napi_throw_type_error(env: Env, code: *const c_char, msg: *const c_char) -> Status;
}

/// `napi_valuetype` values the argument check needs.
const UNDEFINED: c_int = 0;
const NUMBER: c_int = 3;

unsafe fn type_error(env: Env, msg: &'static [u8]) -> Value {
    napi_throw_type_error(env, ptr::null(), msg.as_ptr().cast());
    ptr::null_mut()
}

/// The exported `crc32c(data, initial?)`. Returns NULL (undefined) with a pending TypeError on bad arguments.
unsafe extern "C" fn crc32c_js(env: Env, info: CallbackInfo) -> Value {
    let mut argc: usize = 2;
    let mut argv: [Value; 2] = [ptr::null_mut(); 2];
    if napi_get_cb_info(
        env,
        info,
        &mut argc,
        argv.as_mut_ptr(),
        ptr::null_mut(),
        ptr::null_mut(),
    ) != OK
        || argc < 1
    {
        return type_error(env, b"crc32c(data, initial?): data must be a Uint8Array\0");
    }
    let mut is_typed = false;
    if napi_is_typedarray(env, argv[0], &mut is_typed) != OK || !is_typed {
        return type_error(env, b"crc32c(data, initial?): data must be a Uint8Array\0");
    }
    let (mut kind, mut length, mut data) = (0, 0usize, ptr::null_mut::<c_void>());
    if napi_get_typedarray_info(
        env,
        argv[0],
        &mut kind,
        &mut length,
        &mut data,
        ptr::null_mut(),
        ptr::null_mut(),
    ) != OK
        || kind != UINT8_ARRAY
    {
        return type_error(env, b"crc32c(data, initial?): data must be a Uint8Array\0");
    }
    let mut initial: u32 = 0;
    if argc >= 2 {
        let mut t = UNDEFINED;
        if napi_typeof(env, argv[1], &mut t) != OK {
            return type_error(env, b"crc32c(data, initial?): initial must be a number\0");
        }
        if t == NUMBER {
            napi_get_value_uint32(env, argv[1], &mut initial);
        } else if t != UNDEFINED {
            return type_error(env, b"crc32c(data, initial?): initial must be a number\0");
        }
    }
    let bytes: &[u8] = if length == 0 || data.is_null() {
        &[]
    } else {
        // SAFETY: Node-API describes `length` bytes at `data`, alive for this call (the argument is on the stack)
        std::slice::from_raw_parts(data.cast::<u8>(), length)
    };
    let crc = crc32c::crc32c_append(initial, bytes);
    let mut out = ptr::null_mut();
    if napi_create_uint32(env, crc, &mut out) != OK {
        return ptr::null_mut();
    }
    out
}

/// Node-API module entry point: adds `crc32c` to `exports`.
///
/// # Safety
/// Called by Node or Electron with a valid environment and exports object, as Node-API specifies.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: Env, exports: Value) -> Value {
    let mut f = ptr::null_mut();
    let name = b"crc32c\0";
    if napi_create_function(
        env,
        name.as_ptr().cast(),
        6,
        crc32c_js,
        ptr::null_mut(),
        &mut f,
    ) == OK
    {
        napi_set_named_property(env, exports, name.as_ptr().cast(), f);
    }
    exports
}
