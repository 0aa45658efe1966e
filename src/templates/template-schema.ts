import { z } from 'zod';

/**
 * Meta's create-template body (`POST /<WABA_ID>/message_templates`), as the template components
 * reference describes it: name, language, category, optional parameter_format, and components
 * (HEADER, BODY, FOOTER, BUTTONS, and CAROUSEL / LIMITED_TIME_OFFER whose content is checked
 * loosely). Unknown fields are accepted (Meta adds fields without notice) and their text is still
 * scanned by the content rules. Component and button types are dispatched by hand rather than by
 * a zod union, so each problem gets one precise path and message instead of a union's summary.
 */

export const templateCategories = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof templateCategories)[number];

export const componentTypes = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS', 'CAROUSEL', 'LIMITED_TIME_OFFER'] as const;
export type ComponentType = (typeof componentTypes)[number];

export const buttonTypes = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP', 'FLOW', 'CATALOG', 'MPM', 'SPM', 'VOICE_CALL'] as const;
export type ButtonType = (typeof buttonTypes)[number];

/** Meta's examples write types in upper case, its syntax blocks in lower case; it accepts both. */
function toUpperCase(value: unknown): unknown {
  return typeof value === 'string' ? value.toUpperCase() : value;
}

function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess(toUpperCase, z.enum(values));
}

/** The category a (possibly malformed) body declares, or null when it declares none Meta knows. */
export function readTemplateCategory(body: unknown): TemplateCategory | null {
  const parsed = caseInsensitiveEnum(templateCategories).safeParse((body as { category?: unknown } | null)?.category);
  return parsed.success ? parsed.data : null;
}

/** The upper-cased `type` of a component or button, or null when it has none. */
export function readType(value: unknown): string | null {
  const type = (value as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type.toUpperCase() : null;
}

const namedParameterExample = z.looseObject({
  param_name: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'named parameters are lower-case letters, digits and _, starting with a letter' }),
  example: z.string().min(1),
});

export const templateBodySchema = z.looseObject({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, { message: 'template names are 1–512 lower-case letters, digits and _' }),
  language: z.string().regex(/^[a-z]{2,3}(?:_[A-Z]{2,4})?$/, { message: 'a language code such as en, en_US or pt_BR' }),
  category: caseInsensitiveEnum(templateCategories),
  parameter_format: caseInsensitiveEnum(['POSITIONAL', 'NAMED']).optional(),
  allow_category_change: z.boolean().optional(),
  message_send_ttl_seconds: z.number().int().min(-1).optional(),
  components: z.array(z.unknown()).min(1, { message: 'a template needs at least a BODY component' }).max(12),
});

const headerSchema = z.looseObject({
  format: caseInsensitiveEnum(['TEXT', 'IMAGE', 'VIDEO', 'GIF', 'DOCUMENT', 'LOCATION', 'PRODUCT']),
  text: z.string().min(1).max(60).optional(),
  example: z
    .looseObject({
      header_text: z.array(z.string().min(1)).max(1).optional(),
      header_text_named_params: z.array(namedParameterExample).max(1).optional(),
      header_handle: z.array(z.string().min(1)).min(1).optional(),
    })
    .optional(),
});

const bodySchema = z.looseObject({
  text: z.string().min(1).max(1_024).optional(),
  add_security_recommendation: z.boolean().optional(),
  example: z
    .looseObject({
      body_text: z.array(z.array(z.string().min(1)).min(1)).min(1).optional(),
      body_text_named_params: z.array(namedParameterExample).min(1).optional(),
    })
    .optional(),
});

const footerSchema = z.looseObject({
  text: z.string().min(1).max(60).optional(),
  code_expiration_minutes: z.number().int().min(1).max(90).optional(),
});

const buttonsComponentSchema = z.looseObject({ buttons: z.array(z.unknown()).min(1).max(10) });

const carouselSchema = z.looseObject({
  cards: z.array(z.looseObject({ components: z.array(z.unknown()).min(1) })).min(1).max(10),
});

const limitedTimeOfferSchema = z.looseObject({
  limited_time_offer: z.looseObject({ text: z.string().min(1).max(16), has_expiration: z.boolean().optional() }),
});

export const componentSchemas: Readonly<Record<ComponentType, z.ZodType>> = {
  HEADER: headerSchema,
  BODY: bodySchema,
  FOOTER: footerSchema,
  BUTTONS: buttonsComponentSchema,
  CAROUSEL: carouselSchema,
  LIMITED_TIME_OFFER: limitedTimeOfferSchema,
};

const buttonText = z.string().min(1).max(25);

export const buttonSchemas: Readonly<Record<ButtonType, z.ZodType>> = {
  QUICK_REPLY: z.looseObject({ text: buttonText }),
  URL: z.looseObject({
    text: buttonText,
    url: z.string().min(1).max(2_000),
    example: z.union([z.string().min(1), z.array(z.string().min(1)).length(1)]).optional(),
  }),
  PHONE_NUMBER: z.looseObject({ text: buttonText, phone_number: z.string().min(1).max(20) }),
  COPY_CODE: z.looseObject({ example: z.string().min(1).max(15) }),
  OTP: z.looseObject({
    otp_type: caseInsensitiveEnum(['COPY_CODE', 'ONE_TAP', 'ZERO_TAP']),
    text: buttonText.optional(),
    autofill_text: buttonText.optional(),
    package_name: z.string().min(1).max(224).optional(),
    signature_hash: z.string().length(11).optional(),
    zero_tap_terms_accepted: z.boolean().optional(),
    supported_apps: z.array(z.looseObject({ package_name: z.string().min(1).max(224), signature_hash: z.string().length(11) })).min(1).max(5).optional(),
  }),
  FLOW: z
    .looseObject({
      text: buttonText,
      flow_id: z.union([z.string().min(1), z.number().int()]).optional(),
      flow_name: z.string().min(1).optional(),
      flow_json: z.string().min(1).optional(),
      flow_action: z.preprocess((value) => (typeof value === 'string' ? value.toLowerCase() : value), z.enum(['navigate', 'data_exchange'])).optional(),
      navigate_screen: z.string().min(1).optional(),
    })
    .refine((button) => [button.flow_id, button.flow_name, button.flow_json].filter((value) => value !== undefined).length === 1, {
      message: 'a FLOW button names its flow by exactly one of flow_id, flow_name or flow_json',
    }),
  CATALOG: z.looseObject({ text: buttonText.optional() }),
  MPM: z.looseObject({ text: buttonText.optional() }),
  SPM: z.looseObject({ text: buttonText.optional() }),
  VOICE_CALL: z.looseObject({ text: buttonText.optional() }),
};

export function isComponentType(type: string | null): type is ComponentType {
  return (componentTypes as readonly (string | null)[]).includes(type);
}

export function isButtonType(type: string | null): type is ButtonType {
  return (buttonTypes as readonly (string | null)[]).includes(type);
}
