import * as plist from 'plist';
import { XMLValidator } from 'fast-xml-parser';
import { CertpushError } from '../errors.ts';

/** A check-in message is a few KB (UnlockToken included); anything past this is not one. */
export const MAX_CHECKIN_BYTES = 64 * 1024;
/** Apple's device tokens are 32 bytes; leave room, refuse anything absurd. */
const TOKEN_BYTES = { min: 32, max: 256 };
/** PushMagic is a UUID in practice. */
const MAX_PUSH_MAGIC = 256;
/**
 * UDIDs, EnrollmentIDs and UserIDs: printable ASCII without the characters that separate ids in
 * certpush's URLs and enrollment ids (":" joins device and user, "," lists ids, "/" "?" "#" "%").
 */
const ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
const ID_FORBIDDEN = /[:,/?#%]/;

/** The check-in message types certpush acts on (others are acknowledged and ignored). */
export const CHECKIN_TYPES = ['Authenticate', 'TokenUpdate', 'CheckOut', 'UserAuthenticate'] as const;

/**
 * What certpush keeps of an MDM check-in (Apple's check-in protocol: a plist PUT to the MDM
 * server's CheckInURL). Only these fields are read: UnlockToken, Challenge, bootstrap tokens and
 * the rest never leave the parser.
 */
export interface CheckinMessage {
  messageType: string;
  /** Device channel: the UDID (device enrollment) or EnrollmentID (User Enrollment). */
  udid: string | null;
  enrollmentId: string | null;
  /** User channel: UserID (device enrollment) or EnrollmentUserID (User Enrollment). */
  userId: string | null;
  enrollmentUserId: string | null;
  /** TokenUpdate: the APNs topic, the device token as hex, and the PushMagic. */
  topic: string | null;
  token: string | null;
  pushMagic: string | null;
}

/**
 * Parse a check-in plist (XML, as devices send it). Throws CertpushError CHECKIN_* naming what
 * is wrong: not a plist, no MessageType, no device identifier, or — for TokenUpdate — a Token
 * that is not <data> of a device token, a missing PushMagic or Topic.
 *
 * @example parseCheckinMessage(body).token // 'a1b2…' (hex of the Token data)
 */
export function parseCheckinMessage(input: Uint8Array | string): CheckinMessage {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  if (bytes.length > MAX_CHECKIN_BYTES) throw new CertpushError('CHECKIN_TOO_LARGE', `The check-in message is ${bytes.length} bytes; a check-in is at most ${MAX_CHECKIN_BYTES}. Send the plist the device sent, nothing more.`);
  const xml = bytes.toString('utf8').replace(/^\uFEFF/, '').trim();
  const dict = parseDict(xml);
  const messageType = dict.MessageType;
  if (typeof messageType !== 'string' || messageType === '') throw new CertpushError('CHECKIN_NO_MESSAGE_TYPE', 'The check-in plist has no MessageType string (Authenticate, TokenUpdate, CheckOut, …). Send the check-in plist the device sent.');
  const message: CheckinMessage = {
    messageType,
    udid: optionalId(dict, 'UDID'),
    enrollmentId: optionalId(dict, 'EnrollmentID'),
    userId: optionalId(dict, 'UserID'),
    enrollmentUserId: optionalId(dict, 'EnrollmentUserID'),
    topic: null,
    token: null,
    pushMagic: null,
  };
  if (!message.udid && !message.enrollmentId) throw new CertpushError('CHECKIN_NO_DEVICE', `The ${messageType} check-in names no device: it needs a UDID (device enrollment) or an EnrollmentID (User Enrollment).`);
  if (messageType === 'TokenUpdate' || messageType === 'Authenticate') message.topic = topicOf(dict, messageType);
  if (messageType === 'TokenUpdate') {
    message.token = tokenOf(dict.Token);
    const magic = dict.PushMagic;
    if (typeof magic !== 'string' || magic.trim() === '' || magic.length > MAX_PUSH_MAGIC) throw new CertpushError('CHECKIN_PUSH_MAGIC_INVALID', `The TokenUpdate has no usable PushMagic: it must be a string of 1 to ${MAX_PUSH_MAGIC} characters (the device answers only pushes that carry it).`);
    message.pushMagic = magic.trim();
  }
  return message;
}

/**
 * The enrollment a check-in is about, as nanomdm names it: the device channel by its UDID (or
 * EnrollmentID), a user channel as "<device>:<UserID>" (or "<EnrollmentID>:<EnrollmentUserID>").
 */
export function enrollmentIdOf(message: Pick<CheckinMessage, 'udid' | 'enrollmentId' | 'userId' | 'enrollmentUserId'>): string {
  const device = message.udid ?? message.enrollmentId!;
  const user = message.userId ?? message.enrollmentUserId;
  return user ? `${device}:${user}` : device;
}

/** True for a user-channel check-in. */
export function isUserChannel(message: CheckinMessage): boolean {
  return message.userId !== null || message.enrollmentUserId !== null;
}

function parseDict(xml: string): Record<string, unknown> {
  if (!xml.startsWith('<')) throw new CertpushError('CHECKIN_NOT_PLIST', 'The check-in is not an XML property list (it does not start with "<"). Send the plist the device sent, as application/x-apple-aspen-mdm-checkin.');
  // Validate first: the plist library's XML parser logs to the console and forgives too much.
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: true });
  if (valid !== true) throw new CertpushError('CHECKIN_NOT_PLIST', `The check-in is not well-formed XML (${valid.err.msg} at line ${valid.err.line}, column ${valid.err.col}).`);
  let parsed: unknown;
  try {
    parsed = plist.parse(xml);
  } catch (error) {
    throw new CertpushError('CHECKIN_NOT_PLIST', `The check-in is not a property list (${(error as Error).message}).`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || parsed instanceof Date || parsed instanceof Uint8Array) {
    throw new CertpushError('CHECKIN_NOT_PLIST', 'The check-in plist is not a <dict>: a check-in is a dictionary with MessageType, UDID and the message\'s keys.');
  }
  return parsed as Record<string, unknown>;
}

function optionalId(dict: Record<string, unknown>, key: string): string | null {
  const value = dict[key];
  if (value === undefined) return null;
  if (typeof value !== 'string' || !ID_PATTERN.test(value) || ID_FORBIDDEN.test(value)) {
    throw new CertpushError('CHECKIN_ID_INVALID', `The check-in's ${key} must be a string of 1 to 128 printable characters without ":", ",", "/", "?", "#" or "%".`);
  }
  return value;
}

function topicOf(dict: Record<string, unknown>, messageType: string): string | null {
  const topic = dict.Topic;
  if (topic === undefined && messageType === 'Authenticate') return null;
  if (typeof topic !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(topic)) throw new CertpushError('CHECKIN_TOPIC_INVALID', `The ${messageType} check-in has no usable Topic (the push certificate's topic, com.apple.mgmt.External.…).`);
  return topic;
}

function tokenOf(value: unknown): string {
  // The plist library gives <data> as a Uint8Array.
  if (!(value instanceof Uint8Array)) throw new CertpushError('CHECKIN_TOKEN_INVALID', 'The TokenUpdate has no Token <data>: the device token comes as plist data (Base64 inside <data>), which certpush stores as hex.');
  if (value.length < TOKEN_BYTES.min || value.length > TOKEN_BYTES.max) throw new CertpushError('CHECKIN_TOKEN_INVALID', `The TokenUpdate's Token is ${value.length} bytes; a device token is ${TOKEN_BYTES.min} bytes (at most ${TOKEN_BYTES.max} accepted).`);
  return Buffer.from(value).toString('hex');
}
